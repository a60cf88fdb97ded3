"""Unguessable links for attendees without accounts.

A token is `<rsvp id>.<HMAC-SHA256 over the id, a purpose and the RSVP's nonce>` (256 bits).
Nothing secret is stored: the database holds only the nonce, and the MAC is checked in constant
time. Each purpose gets its own MAC, so a calendar-feed URL shared with a calendar app cannot be
used to change the answer.
"""

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app

from app.extensions import db
from app.rsvps.models import Rsvp

# An id of at most 18 ASCII digits (fits a BIGINT) and an unpadded base64url SHA-256.
_TOKEN_ID = re.compile(r"[0-9]{1,18}")
_TOKEN_MAC = re.compile(r"[A-Za-z0-9_-]{43}")

MANAGE = "manage"
FEED = "feed"
CHECKIN = "checkin"  # the QR code in confirmation emails, opened by an organizer at the door
VIEW = "view"  # a read-only page of an invite-only event, linked from the personal feed


def _mac(rsvp_id: int, nonce: str, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"rsvp:{purpose}:{rsvp_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(rsvp: Rsvp, purpose: str = MANAGE) -> str:
    return f"{rsvp.id}.{_mac(rsvp.id, rsvp.token_nonce, purpose)}"


def find_by_token(token: str, purpose: str = MANAGE) -> Rsvp | None:
    """The RSVP a token opens, or None for anything malformed, unknown or revoked."""
    rsvp_id, _, mac = token.partition(".")
    if not _TOKEN_ID.fullmatch(rsvp_id) or not _TOKEN_MAC.fullmatch(mac):
        return None
    rsvp = db.session.get(Rsvp, int(rsvp_id))
    if rsvp is None:
        return None
    if not hmac.compare_digest(mac, _mac(rsvp.id, rsvp.token_nonce, purpose)):
        return None
    return rsvp


def rotate_tokens(rsvp: Rsvp) -> None:
    """Revoke every link issued for this RSVP; new ones are made from the new nonce."""
    rsvp.token_nonce = secrets.token_hex(16)

"""Unguessable links for attendees without accounts.

A token is `<rsvp id>.<HMAC-SHA256 over the id, a purpose and the RSVP's nonce>` (256 bits).
Nothing secret is stored: the database holds only the nonce, and the MAC is checked in constant
time. Each purpose gets its own MAC, so a calendar-feed URL shared with a calendar app cannot be
used to change the answer.
"""

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from app.extensions import db
from app.rsvps.models import Rsvp

MANAGE = "manage"
FEED = "feed"


def _mac(rsvp_id: int, nonce: str, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"rsvp:{purpose}:{rsvp_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(rsvp: Rsvp, purpose: str = MANAGE) -> str:
    return f"{rsvp.id}.{_mac(rsvp.id, rsvp.token_nonce, purpose)}"


def find_by_token(token: str, purpose: str = MANAGE) -> Rsvp | None:
    """The RSVP a token opens, or None for anything malformed, unknown or revoked."""
    rsvp_id, _, mac = token.partition(".")
    if not rsvp_id.isdigit() or not mac or len(token) > 100:
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

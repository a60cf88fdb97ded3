"""Unguessable personal links: for attendees and invitees, and an organizer's unlock link.

A token is `<record id>.<HMAC-SHA256 over the purpose, the id and the record's nonce>` (256 bits,
unpadded base64url). Nothing secret is stored: the database holds only the nonce, the MAC is
checked in constant time, and a new nonce revokes every link made from the old one. Each purpose
gets its own MAC, so a calendar-feed URL handed to a calendar app cannot change an answer, and an
RSVP link can never pass for an invitation with the same id, nor the other way round.

Tokens that travel inside an email address (the reply and bounce addresses of app/inbound) are
shorter and lowercase: a local part holds at most 64 characters, and some mail systems change
its letter case. They carry 130 bits of the same MAC, in base32.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
import secrets
from typing import Protocol

from flask import current_app

from app.extensions import db

# An id of at most 18 ASCII digits (fits a BIGINT: more would overflow the driver rather than
# simply not match) and an unpadded base64url SHA-256.
_TOKEN = re.compile(r"([0-9]{1,18})\.([A-Za-z0-9_-]{43})")
_ADDRESS_TOKEN = re.compile(r"([0-9]{1,18})\.([a-z2-7]{26})")


class Purpose(enum.StrEnum):
    """What a link opens. The value is part of the signed message: never change one, or every
    link already emailed for it stops working."""

    MANAGE = "rsvp:manage"  # the attendee's page: change or cancel the answer
    FEED = "rsvp:feed"  # the attendee's own calendar feed, read only
    CHECKIN = "rsvp:checkin"  # the QR code in confirmations, opened by an organizer at the door
    VIEW = "rsvp:view"  # a read-only page of an invite-only event, linked from the feed
    INVITATION = "invitation"  # an invitee's way into an invite-only event
    ACCOUNT_UNLOCK = "account:unlock"  # emailed to an organizer: lifts sign-in throttling
    # In email addresses (app/inbound/addresses.py):
    RSVP_REPLY = "rsvp:reply"  # the ORGANIZER of an attendee's invitation: their calendar answers
    INVITATION_REPLY = "invitation:reply"  # the same for an invitee who has not answered yet
    BOUNCE = "outbox:bounce"  # the envelope sender of one outgoing message: its bounces

    @property
    def model(self) -> type[Signed]:
        from app.accounts.models import User
        from app.invitations.models import Invitation
        from app.mail.models import OutboxMessage
        from app.rsvps.models import Rsvp

        if self is Purpose.ACCOUNT_UNLOCK:
            return User
        if self is Purpose.BOUNCE:
            return OutboxMessage
        if self in (Purpose.INVITATION, Purpose.INVITATION_REPLY):
            return Invitation
        return Rsvp


class Signed(Protocol):
    """A record links can be made for: an id, and a nonce that revokes them when changed."""

    id: int
    token_nonce: str


def _digest(purpose: Purpose, record_id: int, nonce: str) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{record_id}:{nonce}".encode(), hashlib.sha256).digest()


def _mac(purpose: Purpose, record_id: int, nonce: str) -> str:
    return base64.urlsafe_b64encode(_digest(purpose, record_id, nonce)).rstrip(b"=").decode()


def _address_mac(purpose: Purpose, record_id: int, nonce: str) -> str:
    return base64.b32encode(_digest(purpose, record_id, nonce)).decode()[:26].lower()


def make_token(record: Signed, purpose: Purpose) -> str:
    return f"{record.id}.{_mac(purpose, record.id, record.token_nonce)}"


def make_address_token(record: Signed, purpose: Purpose) -> str:
    """A token for the local part of an email address: `<id>.<26 base32 characters>`."""
    return f"{record.id}.{_address_mac(purpose, record.id, record.token_nonce)}"


def find_by_token(token: str, purpose: Purpose):
    """The live record a token opens for `purpose`; None for anything malformed, forged,
    revoked, or made for another purpose."""
    return _find(_TOKEN.fullmatch(token), purpose, _mac)


def find_by_address_token(token: str, purpose: Purpose):
    """As find_by_token, for a token made by make_address_token (any letter case)."""
    return _find(_ADDRESS_TOKEN.fullmatch(token.lower()), purpose, _address_mac)


def _find(match: re.Match | None, purpose: Purpose, mac):
    if match is None:
        return None
    record = db.session.get(purpose.model, int(match[1]))
    if record is None or getattr(record, "is_revoked", False):
        return None
    if not hmac.compare_digest(match[2], mac(purpose, record.id, record.token_nonce)):
        return None
    return record


def revoke_tokens(record: Signed) -> None:
    """Every link made for this record stops working; new ones are made from the new nonce."""
    record.token_nonce = secrets.token_hex(16)

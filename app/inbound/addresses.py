"""Our inbound addresses: one reply address per attendee (or invitee), one bounce address per
outgoing message, each carrying a signed token in its local part.

Calendar apps send their answer to the invitation's ORGANIZER, not to Reply-To, and Outlook
leaves ORGANIZER out of the answer itself: the address it is sent to is all that says whose
answer it is. The token makes that address unguessable, and it dies with the person's other
links (a new nonce, app/tokens.py `revoke_tokens`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.invitations.models import Invitation
from app.invitations.queries import invitation_of
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp
from app.tokens import Purpose, find_by_address_token, make_address_token

# The letter after the "+" says which kind of record the token belongs to.
_REPLY_TAGS = {"r": Purpose.RSVP_REPLY, "i": Purpose.INVITATION_REPLY}


@dataclass(frozen=True)
class ReplyTarget:
    """A calendar answer's addressee: an attendee's RSVP, or an invitation not answered yet."""

    rsvp: Rsvp | None = None
    invitation: Invitation | None = None

    @property
    def event_id(self) -> int:
        return (self.rsvp or self.invitation).event_id


@dataclass(frozen=True)
class BounceTarget:
    """A bounce's addressee: the outgoing message that did not arrive."""

    message: OutboxMessage


def inbound_domain() -> str | None:
    """INBOUND_EMAIL_DOMAIN, or None when answers by email are off."""
    return current_app.config.get("INBOUND_EMAIL_DOMAIN")


def reply_address(record: Rsvp | Invitation) -> str | None:
    """The ORGANIZER address of this person's invitations; None when the feature is off.

    An invitee keeps their invitation's address once they have answered: calendar apps expect
    every update of one UID from the same ORGANIZER, and may refuse or duplicate it otherwise.
    """
    domain = inbound_domain()
    if domain is None:
        return None
    if isinstance(record, Rsvp):
        record = invitation_of(record) or record
    if isinstance(record, Rsvp):
        tag, purpose = "r", Purpose.RSVP_REPLY
    else:
        tag, purpose = "i", Purpose.INVITATION_REPLY
    local = current_app.config["INBOUND_REPLY_LOCAL_PART"]
    return f"{local}+{tag}{make_address_token(record, purpose)}@{domain}"


def bounce_address(message: OutboxMessage) -> str | None:
    """The envelope sender (VERP) of this message; None when the feature is off. The message
    must have been flushed (it needs its id)."""
    domain = inbound_domain()
    if domain is None:
        return None
    local = current_app.config["INBOUND_BOUNCE_LOCAL_PART"]
    return f"{local}+{make_address_token(message, Purpose.BOUNCE)}@{domain}"


def resolve(address: str) -> ReplyTarget | BounceTarget | None:
    """What an address we receive mail for points at; None for anything else (a made-up or
    revoked token, another domain, a malformed address)."""
    domain = inbound_domain()
    address = address.strip().strip("<>").lower()
    local, at, address_domain = address.rpartition("@")
    if domain is None or not at or address_domain != domain:
        return None
    base, plus, token = local.partition("+")
    if not plus or not token:
        return None
    config = current_app.config
    if base == config["INBOUND_BOUNCE_LOCAL_PART"].lower():
        message = find_by_address_token(token, Purpose.BOUNCE)
        return BounceTarget(message) if message is not None else None
    if base == config["INBOUND_REPLY_LOCAL_PART"].lower() and token[0] in _REPLY_TAGS:
        purpose = _REPLY_TAGS[token[0]]
        record = find_by_address_token(token[1:], purpose)
        if record is None:
            return None
        if purpose is Purpose.RSVP_REPLY:
            return ReplyTarget(rsvp=record)
        return ReplyTarget(invitation=record)
    return None

"""Taking mail in: store it first, apply it after. Nothing accepted is ever lost."""

from __future__ import annotations

from app.extensions import db
from app.inbound.addresses import BounceTarget, ReplyTarget, resolve
from app.inbound.models import InboundMessage, InboundSource


def accepts_recipient(address: str) -> bool:
    """True for a live reply or bounce address: the SMTP server's RCPT check."""
    return resolve(address) is not None


def store_inbound(
    raw: bytes, *, recipient: str, envelope_from: str, source: InboundSource
) -> InboundMessage | None:
    """Keep one message for one of our addresses, raw, with what the address points at, and
    commit. None when the address is not (or no longer) ours: nothing is stored."""
    target = resolve(recipient)
    if target is None:
        return None
    message = InboundMessage(
        source=source,
        recipient=recipient.strip().strip("<>").lower()[:254],
        envelope_from=envelope_from[:254],
        raw=raw,
    )
    if isinstance(target, ReplyTarget):
        message.event_id = target.event_id
        message.rsvp_id = target.rsvp.id if target.rsvp else None
        message.invitation_id = target.invitation.id if target.invitation else None
    elif isinstance(target, BounceTarget):
        message.outbox_message_id = target.message.id
    db.session.add(message)
    db.session.commit()
    return message

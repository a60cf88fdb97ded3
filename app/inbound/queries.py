"""Reading inbound mail for organizers: what of an event's mail was not applied, and why."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy import func

from app.events.models import Event
from app.extensions import db
from app.inbound.models import InboundMessage, InboundStatus
from app.inbound.processing import ACTIONABLE


@dataclass(frozen=True)
class InboundRow:
    message: InboundMessage
    sender: str  # the From header, else the envelope sender


def sender_of(message: InboundMessage) -> str:
    """Who wrote it as its From header says (headers only: the body is not read), falling
    back to the envelope sender for mail without a readable one."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(message.raw)
        sender = str(headers.get("From") or "").strip()
    except (TypeError, ValueError, IndexError):  # a From header too broken to read
        sender = ""
    return sender or message.envelope_from


def shown_messages(event: Event) -> list[InboundRow]:
    """The event's messages that changed nothing (UNAPPLIED or IGNORED), newest first: those
    an organizer may apply again or dismiss."""
    messages = db.session.scalars(
        db.select(InboundMessage)
        .where(InboundMessage.event_id == event.id, InboundMessage.status.in_(ACTIONABLE))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
    )
    return [InboundRow(message, sender_of(message)) for message in messages]


def waiting_count(event: Event) -> int:
    """How many of the event's messages wait for an organizer (could not be applied)."""
    return db.session.scalar(
        db.select(func.count(InboundMessage.id)).where(
            InboundMessage.event_id == event.id,
            InboundMessage.status == InboundStatus.UNAPPLIED,
        )
    )


def find_message(event: Event, message_id: int) -> InboundMessage | None:
    """The message with this id, only if it belongs to `event` (ids in URLs are guessable)."""
    return db.session.scalar(
        db.select(InboundMessage).where(
            InboundMessage.id == message_id, InboundMessage.event_id == event.id
        )
    )

"""Reading inbound mail for organizers: what of an event's mail was not applied, and why."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy import LargeBinary, func, type_coerce
from sqlalchemy.orm import defer

from app.events.models import Event
from app.extensions import db
from app.inbound.models import InboundMessage, InboundStatus
from app.inbound.processing import ACTIONABLE

# The most messages the page lists (the newest); it says how many more there are.
SHOWN_LIMIT = 200
# The start of a message read for its From header: the page never loads whole messages.
HEAD_BYTES = 16 * 1024
# A From header longer than this is not shown (the email package reads long ones slowly).
MAX_FROM_CHARS = 1000


@dataclass(frozen=True)
class InboundRow:
    message: InboundMessage
    sender: str  # the From header, else the envelope sender


@dataclass(frozen=True)
class ShownMessages:
    rows: list[InboundRow]
    total: int  # all that changed nothing; more than len(rows) when some are not listed


def sender_of(head: bytes, envelope_from: str) -> str:
    """Who wrote a message as the From header in its first bytes `head` says, falling back
    to the envelope sender for mail without a readable one."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(head)
        raw_from = next((v for k, v in headers.raw_items() if k.lower() == "from"), "")
        sender = str(headers.get("From") or "").strip() if len(raw_from) <= MAX_FROM_CHARS else ""
    except (TypeError, ValueError, IndexError):  # a From header too broken to read
        sender = ""
    return sender or envelope_from


def _actionable(event: Event):
    return InboundMessage.event_id == event.id, InboundMessage.status.in_(ACTIONABLE)


def shown_messages(event: Event) -> ShownMessages:
    """The event's messages that changed nothing (UNAPPLIED or IGNORED), newest first, at most
    SHOWN_LIMIT: those an organizer may apply again or dismiss. Their raw bytes are not
    loaded, only the start of each, for its From header."""
    head = type_coerce(func.substr(InboundMessage.raw, 1, HEAD_BYTES), LargeBinary)
    found = db.session.execute(
        db.select(InboundMessage, head)
        .options(defer(InboundMessage.raw))
        .where(*_actionable(event))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(SHOWN_LIMIT)
    ).all()
    rows = [
        InboundRow(message, sender_of(bytes(start or b""), message.envelope_from))
        for message, start in found
    ]
    total = len(rows)
    if total == SHOWN_LIMIT:
        total = db.session.scalar(
            db.select(func.count(InboundMessage.id)).where(*_actionable(event))
        )
    return ShownMessages(rows, total)


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

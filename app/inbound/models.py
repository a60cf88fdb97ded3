"""Inbound mail, stored raw before anything is done with it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, db_enum, utcnow
from app.events.models import Event
from app.extensions import db


class InboundStatus(enum.StrEnum):
    RECEIVED = "received"  # stored, not yet looked at
    APPLIED = "applied"  # changed what it asked for (an answer, a bounce)
    IGNORED = "ignored"  # deliberately changed nothing: stale, a duplicate, a finished event …
    UNAPPLIED = "unapplied"  # could not be applied; waits for an organizer
    DISMISSED = "dismissed"  # an organizer looked at it and set it aside


class InboundSource(enum.StrEnum):
    SMTP = "smtp"
    LMTP = "lmtp"
    IMAP = "imap"


class InboundMessage(db.Model):
    """One message for one of our addresses. A message sent to two of them is stored twice,
    once per address: each is applied to its own answer."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    source: Mapped[InboundSource] = mapped_column(db_enum(InboundSource, "inbound_source"))
    envelope_from: Mapped[str] = mapped_column(String(254), default="")
    # The reply or bounce address it was delivered to (lowercased).
    recipient: Mapped[str] = mapped_column(String(254))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[InboundStatus] = mapped_column(
        db_enum(InboundStatus, "inbound_status"), default=InboundStatus.RECEIVED, index=True
    )
    # Why it was ignored or could not be applied (a code from app/inbound, never translated).
    reason: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)  # for people: what was found, what failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # What the address pointed at, filled in when the message is stored.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    rsvp_id: Mapped[int | None] = mapped_column(
        ForeignKey("rsvps.id", ondelete="SET NULL"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )

    # The calendar answer it holds, kept when it is first read, so that later answers of the
    # same person are compared with it in SQL rather than by parsing it again (processing.py).
    reply_uid: Mapped[str | None] = mapped_column(Text)
    reply_sequence: Mapped[int | None] = mapped_column(Integer)
    # DTSTAMP in UTC as ISO 8601 text with microseconds, so that text order is time order.
    reply_dtstamp: Mapped[str | None] = mapped_column(String(32))
    reply_partstat: Mapped[str | None] = mapped_column(String(20))

    event: Mapped[Event | None] = relationship()

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.status.value}>"

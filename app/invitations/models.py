"""Invitations to invite-only events: the only way in, besides an organizer account."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.events.models import Event
from app.extensions import db


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("event_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))  # folded, as on RSVPs
    # The language the invitation was last sent in: a resend uses it unless told otherwise.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    # The link is signed over this nonce, like RSVP links; a new nonce revokes the old link.
    token_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    send_count: Mapped[int] = mapped_column(Integer, default=0)
    # The SEQUENCE of the calendar REQUEST last emailed with it (app/inbound answers it).
    ical_sequence_sent: Mapped[int | None] = mapped_column(Integer)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

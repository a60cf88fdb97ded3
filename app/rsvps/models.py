"""An attendee's answer to an event."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, db_enum, utcnow
from app.events.models import Event
from app.extensions import db
from app.security_lists.models import SecurityDetails
from app.text import fold


class RsvpStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # attending, with a seat
    WAITLISTED = "waitlisted"  # attending, waiting for a seat
    DECLINED = "declined"  # answered "not attending"
    CANCELLED = "cancelled"  # withdrew through the manage link

    @property
    def is_attending(self) -> bool:
        return self in (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)


class Rsvp(db.Model):
    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "email_key"),
        CheckConstraint("guests >= 0", name="guests_non_negative"),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlisted_at IS NOT NULL)", name="waitlist_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    status: Mapped[RsvpStatus] = mapped_column(db_enum(RsvpStatus, "rsvp_status"))

    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    # The email folded for comparison: one RSVP per person and event, whatever the case.
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    organization: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="en")
    guests: Mapped[int] = mapped_column(Integer, default=0)
    needs: Mapped[str | None] = mapped_column(Text)
    # How they will cross the border on a visit (app/events/crossings.py documents), if told.
    crossing_document: Mapped[str | None] = mapped_column(String(30))
    # The zone their browser reported when they answered: emails show times on its clock too.
    viewer_timezone: Mapped[str | None] = mapped_column(String(64))
    # Consent to appear in the attendee list shared with the event's host.
    share_with_host: Mapped[bool] = mapped_column(Boolean, default=False)

    # Name, email and organization folded (app/text.py), for accent-blind search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Links for this RSVP are signed with SECRET_KEY over this nonce (app/tokens.py):
    # the database alone cannot forge them, and a new nonce revokes every old link.
    token_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    # How far this attendee's calendar invitations run ahead of the event's SEQUENCE: a CANCEL
    # of their seat and a REQUEST after it raise it (app.ical.advance_attendee_sequence).
    ical_sequence_offset: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The SEQUENCE of the last REQUEST or CANCEL emailed to this person: a calendar's answer to
    # anything older is stale (app/inbound/processing.py). None: none was sent.
    ical_sequence_sent: Mapped[int | None] = mapped_column(Integer)

    # The last answer from the person's calendar app (app/inbound): its PARTSTAT (ACCEPTED,
    # TENTATIVE, DECLINED) and the note typed with it, shown to organizers.
    calendar_partstat: Mapped[str | None] = mapped_column(String(20))
    calendar_comment: Mapped[str | None] = mapped_column(Text)
    calendar_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="rsvps")
    # What the venue's security list asks, when the event has one (encrypted at rest).
    security_details: Mapped[SecurityDetails | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Rsvp {self.id} {self.status.value}>"

    @property
    def seats(self) -> int:
        """Seats this answer holds or asks for: the attendee plus their guests."""
        return 1 + self.guests


@sa_event.listens_for(Rsvp, "before_insert")
@sa_event.listens_for(Rsvp, "before_update")
def _fill_search_text(mapper, connection, rsvp: Rsvp) -> None:
    rsvp.search_text = fold(" ".join([rsvp.name, rsvp.email, rsvp.organization]))

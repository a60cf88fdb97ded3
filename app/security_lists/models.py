"""An event's security list, and each attendee's details for it (encrypted at rest)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, db_enum, utcnow
from app.events.models import Event
from app.extensions import db
from app.privacy.encryption import EncryptedJSON


class VenueTemplate(enum.StrEnum):
    """Which kind of venue the list is for: it chooses the fields and their order
    (app/security_lists/venues.py)."""

    US_CONSULATE = "us_consulate"
    PORT_OF_ENTRY = "port_of_entry"
    MEXICAN_GOVERNMENT = "mexican_government"


class SecurityList(db.Model):
    """ "The venue needs a security list": one per event at most."""

    __tablename__ = "security_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    template: Mapped[VenueTemplate] = mapped_column(db_enum(VenueTemplate, "venue_template"))
    vehicle: Mapped[bool] = mapped_column(Boolean, default=False)  # plates etc. asked too
    # The field keys asked, in the venue's column order; the template's, as the organizer
    # adjusted them.
    fields: Mapped[list[str]] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the venue wants it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()


class SecurityDetails(db.Model):
    """One attendee's answers to the security list, all in one encrypted value.

    Deleted (not hidden) SECURITY_DATA_DAYS after the event ends.
    """

    __tablename__ = "security_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    rsvp_id: Mapped[int] = mapped_column(ForeignKey("rsvps.id", ondelete="CASCADE"), unique=True)
    # {"id_type": "passport", "id_number": "…", "birth_date": "1980-05-01", …}
    values: Mapped[dict] = mapped_column(EncryptedJSON)
    # The privacy notice the person accepted when giving them (app/privacy/models.py).
    notice_version: Mapped[int] = mapped_column(Integer)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

"""Events and what they are made of: venues, organizations, itinerary stops."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from app.db_types import UTCDateTime, db_enum, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.rsvps.models import Rsvp
    from app.security_lists.models import SecurityList


class EventKind(enum.StrEnum):
    STAKEHOLDER_MEETING = "stakeholder_meeting"
    BOARD_MEETING = "board_meeting"
    VISIT = "visit"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    INVITE_ONLY = "invite_only"


class OrganizationRole(enum.StrEnum):
    HOST = "host"
    PARTNER = "partner"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Venue(db.Model):
    __tablename__ = "venues"
    __table_args__ = (
        UniqueConstraint("name", "city"),
        CheckConstraint("country IN ('US', 'MX')", name="country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")  # state: "CA", "BC", "CDMX"
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2
    # Its IANA zone: choosing the venue for an event or a stop sets theirs.
    timezone: Mapped[str | None] = mapped_column(String(64))

    @property
    def one_line(self) -> str:
        """Name and full address on one line, as calendars and maps want it."""
        parts = [self.name, self.address, self.locality, self.country_name]
        return ", ".join(p for p in parts if p)

    @property
    def locality(self) -> str:
        return f"{self.city}, {self.region}" if self.region else self.city

    @property
    def country_name(self) -> str:
        return {"US": "USA", "MX": "México"}[self.country]


class EventOrganization(db.Model):
    """An organization's part in an event: host or partner, in display order."""

    __tablename__ = "event_organizations"
    __table_args__ = (UniqueConstraint("event_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[OrganizationRole] = mapped_column(db_enum(OrganizationRole, "organization_role"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)


# Who manages an event besides the admins (app/events/access.py): its creator, and whoever an
# owner adds.
event_owners = Table(
    "event_owners",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("guest_limit >= 0", name="guest_limit_non_negative"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # The iCalendar UID: set once, shared by feeds, downloads and emailed invitations.
    uid: Mapped[str] = mapped_column(
        String(120), unique=True, default=lambda: f"{uuid.uuid4()}@convoca"
    )
    kind: Mapped[EventKind] = mapped_column(db_enum(EventKind, "event_kind"))
    status: Mapped[EventStatus] = mapped_column(
        db_enum(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True
    )
    visibility: Mapped[Visibility] = mapped_column(
        db_enum(Visibility, "event_visibility"), default=Visibility.PUBLIC
    )
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str | None] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_es: Mapped[str | None] = mapped_column(Text)

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name, e.g. "America/Tijuana"

    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    guest_limit: Mapped[int] = mapped_column(Integer, default=0)  # guests per RSVP; 0: none

    # Show English and Spanish side by side instead of the reader's language only.
    show_both_languages: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the reminder went out, so it goes out once (app/events/reminders.py).
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Bumped whenever time, place or status changes, so calendars replace their copy.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    venue: Mapped[Venue | None] = relationship()
    organizations: Mapped[list[EventOrganization]] = relationship(
        order_by=EventOrganization.position, cascade="all, delete-orphan"
    )
    stops: Mapped[list[ItineraryStop]] = relationship(
        order_by="ItineraryStop.position", cascade="all, delete-orphan", back_populates="event"
    )
    rsvps: Mapped[list[Rsvp]] = relationship(back_populates="event", lazy="raise_on_sql")
    owners: Mapped[list[User]] = relationship(secondary=event_owners, order_by="User.email")
    # The venue's security list, if it keeps one (app/security_lists).
    security_list: Mapped[SecurityList | None] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hosts(self) -> list[Organization]:
        return [eo.organization for eo in self.organizations if eo.role is OrganizationRole.HOST]

    @property
    def partners(self) -> list[Organization]:
        return [eo.organization for eo in self.organizations if eo.role is OrganizationRole.PARTNER]

    @hybrid_property
    def is_public(self) -> bool:
        """Listed and reachable by anyone: published or cancelled, and not invite-only.

        One rule for pages, listings and feeds: in Python on an event, and in SQL as
        `Event.is_public` in a query's WHERE.
        """
        return self.status is not EventStatus.DRAFT and self.visibility is Visibility.PUBLIC

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> ColumnElement[bool]:
        return and_(cls.status != EventStatus.DRAFT, cls.visibility == Visibility.PUBLIC)

    @property
    def is_cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    @property
    def itinerary_editable(self) -> bool:
        """Stops can be added, changed or moved: only a visit has them, and a cancelled event
        changes no more."""
        return self.kind is EventKind.VISIT and not self.is_cancelled

    @property
    def is_multi_day(self) -> bool:
        zone = self.zone
        return self.starts_at.astimezone(zone).date() != self.ends_at.astimezone(zone).date()

    @property
    def shows_both_languages(self) -> bool:
        """English and Spanish side by side: the organizer asked for it and wrote both."""
        return self.show_both_languages and bool(self.title_es)

    def title(self, language: str) -> str:
        """The title in `language`, falling back to English."""
        return (self.title_es if language == "es" else None) or self.title_en

    def description(self, language: str) -> str:
        return (self.description_es if language == "es" else None) or self.description_en

    def has_ended(self, now: datetime) -> bool:
        return self.ends_at <= now

    @property
    def rsvps_close_at(self) -> datetime:
        """The deadline if one is set (and earlier than the start), else the start."""
        if self.rsvp_deadline is not None and self.rsvp_deadline < self.starts_at:
            return self.rsvp_deadline
        return self.starts_at

    @property
    def max_guests(self) -> int:
        """Guests one answer may bring: none where the venue keeps a security list, which needs
        every visitor's own details (each guest answers for themselves), else guest_limit."""
        return 0 if self.security_list is not None else self.guest_limit

    @property
    def allows_guests(self) -> bool:
        return self.max_guests > 0


class ItineraryStop(db.Model):
    """One stop of a visit, with its own time and place (possibly across the border)."""

    __tablename__ = "itinerary_stops"
    __table_args__ = (
        UniqueConstraint("event_id", "position"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))

    event: Mapped[Event] = relationship(back_populates="stops")
    venue: Mapped[Venue | None] = relationship()
    # The border crossing planned after this stop, towards the next one (app/events/crossings.py).
    # Loaded with the stops, in one query for all of them: every page, email and calendar that
    # lists a visit's stops says its crossings too.
    crossing_after: Mapped[BorderCrossing | None] = relationship(
        back_populates="after_stop",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def title(self, language: str) -> str:
        return (self.title_es if language == "es" else None) or self.title_en


class BorderCrossing(db.Model):
    """How a visit crosses the border between one stop and the next: the port of entry, the lane
    and the time to allow. The direction follows from the two stops' countries."""

    __tablename__ = "border_crossings"
    __table_args__ = (CheckConstraint("allowance_minutes > 0", name="allowance_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    after_stop_id: Mapped[int] = mapped_column(
        ForeignKey("itinerary_stops.id", ondelete="CASCADE"), unique=True
    )
    port: Mapped[str] = mapped_column(String(40))  # a key of app/events/ports.py
    lane: Mapped[str] = mapped_column(String(20))  # general, ready_lane, sentri, pedestrian
    allowance_minutes: Mapped[int] = mapped_column(Integer)

    after_stop: Mapped[ItineraryStop] = relationship(back_populates="crossing_after")

"""Which RSVPs an organizer is looking at.

The attendee page, its CSV and Excel exports, the door list and the check-in search all build
their query here, so a filter means the same people everywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select, String, and_, or_
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from app.events.models import Event
from app.extensions import db
from app.rsvps.models import Rsvp, RsvpStatus

# Consent to be shared with the host only makes sense for people coming to the event.
HOST_STATUSES = (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)


class Audience(enum.StrEnum):
    ORGANIZERS = "organizers"  # everyone, every column
    HOST = "host"  # only those who consented, without private columns


class unicode_lower(GenericFunction):
    """`lower()` that folds every letter, not only ASCII: "ÁNGEL" finds "Ángel".

    PostgreSQL's lower() already does (UTF-8 database); SQLite's folds ASCII only, so on SQLite
    this calls Python's str.lower, registered on each connection below.
    """

    type = String()
    name = "unicode_lower"
    inherit_cache = True


@compiles(unicode_lower)
def _lower_default(element, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _lower_sqlite(element, compiler, **kw) -> str:
    return f"convoca_lower({compiler.process(element.clauses, **kw)})"


def _python_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


@sa_event.listens_for(Engine, "connect")
def _register_sqlite_lower(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__ == "sqlite3":
        dbapi_connection.create_function("convoca_lower", 1, _python_lower, deterministic=True)


@dataclass(frozen=True)
class AttendeeFilters:
    """What the organizer asked to see. Empty values mean "no filter"."""

    status: RsvpStatus | None = None
    checked_in: bool | None = None
    search: str = ""
    audience: Audience = Audience.ORGANIZERS

    @property
    def for_host(self) -> bool:
        return self.audience is Audience.HOST


def search_condition(search: str):
    """Every word typed appears in the name, email or organization, in any letter case:
    "ana itj" finds Ana López of ITJ.

    Accents count as typed ("Lopez" does not find "López"): organizers search for names they
    read, and folding accents portably would need a PostgreSQL extension.
    """
    return and_(
        *(
            or_(
                unicode_lower(Rsvp.name).contains(word, autoescape=True),
                unicode_lower(Rsvp.organization).contains(word, autoescape=True),
                Rsvp.email_key.contains(word, autoescape=True),  # stored folded already
            )
            for word in search.lower().split()
        )
    )


def attendees_query(event: Event, filters: AttendeeFilters) -> Select[tuple[Rsvp]]:
    """The event's RSVPs matching `filters`, in the order they were received.

    Arrival order is stable across pages and needs no collation, so streamed exports and the
    paginated page agree; the door list sorts by last name itself.
    """
    query = db.select(Rsvp).where(Rsvp.event_id == event.id)
    if filters.for_host:
        query = query.where(Rsvp.share_with_host.is_(True), Rsvp.status.in_(HOST_STATUSES))
    if filters.status is not None:
        query = query.where(Rsvp.status == filters.status)
    if filters.checked_in is True:
        query = query.where(Rsvp.checked_in_at.is_not(None))
    elif filters.checked_in is False:
        query = query.where(Rsvp.checked_in_at.is_(None))
    if filters.search.strip():
        query = query.where(search_condition(filters.search))
    return query.order_by(Rsvp.created_at, Rsvp.id)

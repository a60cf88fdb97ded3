"""Which RSVPs an organizer is looking at.

The attendee page, its CSV and Excel exports, the door list and the check-in search all build
their query here, so a filter means the same people everywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_

from app.events.models import Event
from app.extensions import db
from app.rsvps.models import Rsvp, RsvpStatus
from app.text import fold

# Consent to be shared with the host only makes sense for people coming to the event.
HOST_STATUSES = (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)
# Longer than any name, email and organization typed together; a search far longer becomes a
# LIKE pattern SQLite refuses ("too complex") and finds nobody anyway.
SEARCH_MAX_LENGTH = 100


class SearchTooLong(ValueError):
    """A search longer than SEARCH_MAX_LENGTH; views turn it into a message."""

    def __init__(self, length: int):
        super().__init__(f"a search of {length} characters (at most {SEARCH_MAX_LENGTH})")
        self.length = length


class ListViewer(enum.StrEnum):
    """Whom an attendee list or export is for."""

    ORGANIZERS = "organizers"  # everyone, every column
    HOST = "host"  # only those who consented, without private columns


@dataclass(frozen=True)
class AttendeeFilters:
    """What the organizer asked to see. Empty values mean "no filter"."""

    status: RsvpStatus | None = None
    checked_in: bool | None = None
    search: str = ""
    audience: ListViewer = ListViewer.ORGANIZERS

    def __post_init__(self) -> None:
        # Checked here, when the filters are made, rather than in the query: exports stream,
        # and an error must come before the first row is sent.
        if len(self.search.strip()) > SEARCH_MAX_LENGTH:
            raise SearchTooLong(len(self.search.strip()))

    @property
    def for_host(self) -> bool:
        return self.audience is ListViewer.HOST


def search_condition(search: str, *, with_email: bool = True):
    """Every word typed appears in the name, email or organization, whatever the letter case
    or accents: "ana lopez itj" finds Ana López of ITJ, and so does "ANA LÓPEZ".

    Without the email (a host's view, which shows no addresses), only names and organizations
    are searched, so typing an address cannot confirm who it belongs to.
    """
    if with_email:
        return and_(
            *(Rsvp.search_text.contains(word, autoescape=True) for word in fold(search).split())
        )
    return and_(
        *(
            or_(
                func.lower(Rsvp.name).contains(word, autoescape=True),
                func.lower(Rsvp.organization).contains(word, autoescape=True),
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
        query = query.where(search_condition(filters.search, with_email=not filters.for_host))
    return query.order_by(Rsvp.created_at, Rsvp.id)

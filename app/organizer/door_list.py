"""The printable door list: who is expected, by last name, with a box to tick on arrival."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app.events.models import Event
from app.extensions import db
from app.rsvps.attendee_list import AttendeeFilters, attendees_query
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.names import last_name_key, split_name


@dataclass(frozen=True)
class DoorListRow:
    listed_name: str  # "García López, María José"
    initial: str  # the letter it is filed under, for the headings
    organization: str
    job_title: str | None
    guests: int
    status: RsvpStatus
    needs: str | None  # None in lists for the host
    checked_in_at: datetime | None


def door_list_filters(filters: AttendeeFilters) -> AttendeeFilters:
    """The door expects confirmed attendees unless another status was chosen on purpose:
    declined and cancelled people have no place on it by default."""
    if filters.status is None:
        return replace(filters, status=RsvpStatus.CONFIRMED)
    return filters


def door_list_rows(event: Event, filters: AttendeeFilters) -> list[DoorListRow]:
    """The door list, sorted by last name (see app.rsvps.names for the rule).

    Sorting needs every name, so rows are read as small tuples of the printed columns rather
    than whole RSVPs; even a very large event stays a few megabytes.
    """
    query = attendees_query(event, door_list_filters(filters)).with_only_columns(
        Rsvp.name,
        Rsvp.language,
        Rsvp.organization,
        Rsvp.job_title,
        Rsvp.guests,
        Rsvp.status,
        Rsvp.needs,
        Rsvp.checked_in_at,
    )
    keyed = []
    for rsvp in db.session.execute(query.execution_options(yield_per=1000)):
        key = last_name_key(rsvp.name, rsvp.language)
        row = DoorListRow(
            listed_name=split_name(rsvp.name, rsvp.language).listed,
            initial=_initial(key[0] or key[1]),
            organization=rsvp.organization,
            job_title=rsvp.job_title,
            guests=rsvp.guests,
            status=rsvp.status,
            needs=None if filters.for_host else rsvp.needs,
            checked_in_at=rsvp.checked_in_at,
        )
        keyed.append((key, row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]


def _initial(folded: str) -> str:
    letter = folded[:1]
    if letter == "n" and folded[1:2] == "\U0010ffff":
        return "Ñ"
    return letter.upper() if letter.isalpha() else "#"

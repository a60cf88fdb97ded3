"""A visit's itinerary: adding, editing, moving and removing its stops, and taking the stops
along when the visit itself moves.

Plain functions, as in app/events/services.py (which edits the event itself): they flush but
never commit, log what they change for the `actor` they are given, and raise `EventError`s.
A change to a stop's time or place is announced to attendees like a change to the event, with
calendar invitations for the stops' entries it touched (app/ical.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.audit import services as audit
from app.events.changes import EventChanges, announce
from app.events.directory import NewVenue, venue_and_zone
from app.events.errors import StopOutsideVisit, StopsNeedAVisit, WrongStatus
from app.events.models import Event, ItineraryStop
from app.extensions import db
from app.ical import CalendarChange, CalendarEntry
from app.timezones import NonexistentLocalTime, to_local, to_utc

if TYPE_CHECKING:
    from app.accounts.models import User


@dataclass
class StopDetails:
    title_en: str
    starts_at: datetime
    timezone: str | None  # None: the venue's (app/events/directory.py, venue_and_zone)
    title_es: str | None = None
    ends_at: datetime | None = None
    venue_id: int | None = None
    new_venue: NewVenue | None = None


def _apply_stop(stop: ItineraryStop, details: StopDetails) -> None:
    stop.title_en = details.title_en
    stop.title_es = details.title_es
    stop.starts_at = details.starts_at
    stop.ends_at = details.ends_at
    stop.venue, stop.timezone = venue_and_zone(
        details.venue_id, details.new_venue, details.timezone
    )


def check_within_visit(event: Event, details: StopDetails) -> None:
    """Raise StopOutsideVisit unless the stop starts and ends while its visit is on."""
    ends_at = details.ends_at or details.starts_at
    if details.starts_at < event.starts_at or ends_at > event.ends_at:
        raise StopOutsideVisit(event.starts_at, event.ends_at, event.timezone)


def check_itinerary_editable(event: Event) -> None:
    """Raise, saying why, unless `event.itinerary_editable`."""
    if event.itinerary_editable:
        return
    if event.is_cancelled:
        raise WrongStatus("edit", event.status)
    raise StopsNeedAVisit()


def move_stops_along(event: Event, shift: timedelta) -> bool:
    """A visit moved to another day or hour takes its itinerary along: each stop keeps its
    place in the day, on its own side of the border's clock (so 9:00 in Tijuana stays 9:00
    even when a daylight-saving change falls in between). Returns whether any stop moved."""
    if not shift or not event.stops:
        return False
    for stop in event.stops:
        stop.starts_at = _shifted(stop.starts_at, stop.timezone, shift)
        if stop.ends_at is not None:
            stop.ends_at = _shifted(stop.ends_at, stop.timezone, shift)
    return True


def _shifted(instant: datetime, zone: str, shift: timedelta) -> datetime:
    try:
        return to_utc(to_local(instant, zone) + shift, zone)
    except NonexistentLocalTime as gap:
        return to_utc(gap.skipped_to, zone)  # the hour the clocks skip: the next real time


def _itinerary_changed(event: Event, now: datetime, calendar: CalendarChange) -> EventChanges:
    changes = EventChanges(fields={"stops"}, itinerary_changed=True, calendar=calendar)
    announce(event, changes, now)
    return changes


def add_stop(
    event: Event, details: StopDetails, now: datetime, *, actor: User | None = None
) -> EventChanges:
    """Append a stop to a visit's itinerary."""
    check_itinerary_editable(event)
    check_within_visit(event, details)
    # The first stop turns the visit's single calendar entry into one per stop.
    replaced = () if event.stops else (CalendarEntry(event),)
    stop = ItineraryStop(position=max((s.position for s in event.stops), default=-1) + 1)
    _apply_stop(stop, details)
    event.stops.append(stop)
    db.session.flush()
    audit.log_created(actor, stop)
    return _itinerary_changed(
        event, now, CalendarChange(requests=(CalendarEntry(event, stop),), cancels=replaced)
    )


def update_stop(
    stop: ItineraryStop, details: StopDetails, now: datetime, *, actor: User | None = None
) -> EventChanges:
    """Edit a stop; attendees hear about it when its time or place changed, not its title."""
    event = stop.event
    check_itinerary_editable(event)
    check_within_visit(event, details)

    def place_and_time():
        return stop.starts_at, stop.ends_at, stop.timezone, stop.venue_id

    before = place_and_time(), (stop.title_en, stop.title_es)
    with audit.watching(actor, stop):
        _apply_stop(stop, details)
        db.session.flush()
    if place_and_time() != before[0]:
        return _itinerary_changed(
            event, now, CalendarChange(requests=(CalendarEntry(event, stop),))
        )
    return EventChanges(fields={"stops"} if (stop.title_en, stop.title_es) != before[1] else set())


def move_stop(
    stop: ItineraryStop, offset: int, now: datetime, *, actor: User | None = None
) -> EventChanges:
    """Swap a stop with its neighbour before (-1) or after (+1); at either end, nothing."""
    event = stop.event
    check_itinerary_editable(event)
    stops = list(event.stops)
    index = stops.index(stop)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(stops):
        return EventChanges()
    other = stops[target]
    with audit.watching(actor, stop, other):
        # (event, position) is unique, so park one stop outside the range while they trade.
        mine, theirs = stop.position, other.position
        stop.position = -1
        db.session.flush()
        other.position = mine
        db.session.flush()
        stop.position = theirs
        db.session.flush()
    db.session.refresh(event, ["stops"])
    # Their times stay; their places in the itinerary, which their descriptions list, swap.
    swapped = (CalendarEntry(event, stop), CalendarEntry(event, other))
    return _itinerary_changed(event, now, CalendarChange(requests=swapped))


def remove_stop(stop: ItineraryStop, now: datetime, *, actor: User | None = None) -> EventChanges:
    """Remove a stop and close the gap in the numbering."""
    event = stop.event
    check_itinerary_editable(event)
    gone = CalendarEntry(event, stop)
    audit.log_deleted(actor, stop)
    with audit.watching(actor, *(s for s in event.stops if s is not stop)):
        event.stops.remove(stop)
        db.session.flush()
        for position, remaining in enumerate(event.stops):
            if remaining.position != position:
                remaining.position = position
                db.session.flush()  # one at a time, each into a free place
    # Without stops the visit is one calendar entry again.
    restored = () if event.stops else (CalendarEntry(event),)
    return _itinerary_changed(event, now, CalendarChange(requests=restored, cancels=(gone,)))

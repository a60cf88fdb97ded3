"""What a change to an event changed, and telling its attendees when it moves them.

Shared by edits of the event (app/events/services.py) and of its itinerary
(app/events/itinerary.py): both report an `EventChanges`, and both announce a new time or place
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from app.events import notifications
from app.events.models import Event, Venue
from app.extensions import db
from app.rsvps.models import Rsvp

if TYPE_CHECKING:
    from app.ical import CalendarChange


@dataclass
class EventChanges:
    """What an edit changed, what it was before, and what followed from it."""

    fields: set[str] = field(default_factory=set)
    previous_starts_at: datetime | None = None
    previous_ends_at: datetime | None = None
    previous_timezone: str | None = None
    previous_venue: Venue | None = None
    itinerary_changed: bool = False
    # The calendar entries an itinerary change touched (app/ical.py); None: all of them.
    calendar: CalendarChange | None = None
    notified: int = 0  # attendees emailed about it
    promoted: list[Rsvp] = field(default_factory=list)  # seated from the waitlist

    @property
    def time_changed(self) -> bool:
        return bool(self.fields & {"starts_at", "ends_at"})

    @property
    def venue_changed(self) -> bool:
        return "venue" in self.fields

    @property
    def affects_attendees(self) -> bool:
        """Time or place changed: calendars must update and attendees hear about it."""
        return self.time_changed or self.venue_changed or self.itinerary_changed


def announce(event: Event, changes: EventChanges, now: datetime) -> None:
    """A change of time or place: calendars replace their copy (higher SEQUENCE) and attendees
    are told, unless the event is already over."""
    event.sequence += 1
    db.session.flush()
    if not event.has_ended(now):
        changes.notified = notifications.queue_event_changed(event, changes)

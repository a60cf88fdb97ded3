"""Emails to an event's attendees about the event itself: changes, cancellation, messages,
reminders.

Each is queued in the outbox inside the caller's transaction (so it goes out only if the change
is committed), rendered in the attendee's own language, with times in the event's own zone.
Those with a seat get calendar data (an updated REQUEST or a CANCEL, same UID, the event's new
SEQUENCE); the waitlist gets the news without it, since it has no calendar entry to update.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from app.db_types import utcnow
from app.events.models import Event
from app.extensions import db
from app.ical import invitation
from app.mail.outbox import queue_email
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.notifications import attendee_links

if TYPE_CHECKING:
    from app.events.services import EventChanges


class Audience(enum.StrEnum):
    """Who an organizer's message goes to."""

    CONFIRMED = "confirmed"
    CONFIRMED_AND_WAITLISTED = "confirmed_and_waitlisted"

    @property
    def statuses(self) -> tuple[RsvpStatus, ...]:
        if self is Audience.CONFIRMED:
            return (RsvpStatus.CONFIRMED,)
        return (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)


def recipients(event: Event, statuses: tuple[RsvpStatus, ...]) -> list[Rsvp]:
    """The event's RSVPs in these statuses, in the order they answered."""
    db.session.flush()
    return list(
        db.session.scalars(
            db.select(Rsvp)
            .where(Rsvp.event_id == event.id, Rsvp.status.in_(statuses))
            .order_by(Rsvp.created_at, Rsvp.id)
        )
    )


def _queue(
    event: Event, rsvp: Rsvp, template: str, kind: str, ics_method: str | None = None, **extra
) -> None:
    manage_url, page_url = attendee_links(rsvp)
    ics = None
    if ics_method:
        ics = invitation(event, rsvp, ics_method, utcnow(), page_url).to_ical().decode()
    queue_email(
        template,
        kind,
        to_name=rsvp.name,
        to_email=rsvp.email,
        language=rsvp.language,
        context={
            "rsvp": rsvp,
            "event": event,
            "manage_url": manage_url,
            "event_url": page_url,
            "has_invite": ics_method == "REQUEST",
            **extra,
        },
        ics=ics,
        ics_method=ics_method,
        rsvp_id=rsvp.id,
    )


def queue_event_changed(event: Event, changes: EventChanges) -> int:
    """A new time or place: an updated invitation for each confirmed attendee, a notice for
    the waitlist. Returns how many were queued."""
    confirmed = recipients(event, (RsvpStatus.CONFIRMED,))
    waitlisted = recipients(event, (RsvpStatus.WAITLISTED,))
    for rsvp in confirmed:
        _queue(event, rsvp, "event_changed", "event_changed", "REQUEST", changes=changes)
    for rsvp in waitlisted:
        _queue(event, rsvp, "event_changed", "event_changed_waitlisted", changes=changes)
    return len(confirmed) + len(waitlisted)


def queue_event_cancelled(event: Event, note: str | None) -> int:
    """The event is off: a cancellation that removes the calendar entry of each confirmed
    attendee, a notice for the waitlist. Returns how many were queued."""
    confirmed = recipients(event, (RsvpStatus.CONFIRMED,))
    waitlisted = recipients(event, (RsvpStatus.WAITLISTED,))
    for rsvp in confirmed:
        _queue(event, rsvp, "event_cancelled", "event_cancelled", "CANCEL", note=note)
    for rsvp in waitlisted:
        _queue(event, rsvp, "event_cancelled", "event_cancelled_waitlisted", note=note)
    return len(confirmed) + len(waitlisted)


def queue_organizer_message(event: Event, subject: str, body: str, audience: Audience) -> int:
    """An organizer's own words to the attendees; the templates escape them. Returns how many
    were queued."""
    chosen = recipients(event, audience.statuses)
    for rsvp in chosen:
        _queue(event, rsvp, "organizer_message", "organizer_message", subject=subject, body=body)
    return len(chosen)


def queue_reminder(event: Event, rsvp: Rsvp) -> None:
    _queue(event, rsvp, "reminder", "event_reminder")

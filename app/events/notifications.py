"""Emails to an event's attendees about the event itself: changes, cancellation, messages,
reminders.

Each is queued in the outbox inside the caller's transaction (so it goes out only if the change
is committed), rendered in the attendee's own language, with times in the event's own zone.
Those with a seat get calendar data (an updated REQUEST or a CANCEL, same UID, the event's new
SEQUENCE; a visit's stops each in their own message, app/ical.py); the waitlist gets the news
without it, since it has no calendar entry to update.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from app.audit import services as audit
from app.events.models import Event
from app.extensions import db
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.notifications import queue_attendee_email

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.events.changes import EventChanges
    from app.ical import CalendarChange


class MessageRecipients(enum.StrEnum):
    """Who an organizer's message goes to."""

    CONFIRMED = "confirmed"
    CONFIRMED_AND_WAITLISTED = "confirmed_and_waitlisted"

    @property
    def statuses(self) -> tuple[RsvpStatus, ...]:
        if self is MessageRecipients.CONFIRMED:
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


def _notify_about_event(
    event: Event,
    template: str,
    ics_method: str,
    calendar: CalendarChange | None = None,
    **context,
) -> int:
    """Confirmed attendees get calendar data (`ics_method`, for the entries in `calendar` or
    all of theirs) with the news; the waitlist gets the news alone, as kind
    `<template>_waitlisted`. Returns how many people were emailed."""
    confirmed = recipients(event, (RsvpStatus.CONFIRMED,))
    waitlisted = recipients(event, (RsvpStatus.WAITLISTED,))
    for rsvp in confirmed:
        queue_attendee_email(rsvp, template, template, ics_method, calendar=calendar, **context)
    for rsvp in waitlisted:
        queue_attendee_email(rsvp, template, f"{template}_waitlisted", **context)
    return len(confirmed) + len(waitlisted)


def queue_event_changed(event: Event, changes: EventChanges) -> int:
    """A new time or place: an updated invitation for each confirmed attendee, a notice for
    the waitlist. Returns how many were queued. Invitations update the calendar entries the
    change touched (`changes.calendar`; all of them when it does not say)."""
    return _notify_about_event(event, "event_changed", "REQUEST", changes.calendar, changes=changes)


def queue_event_cancelled(event: Event, note: str | None) -> int:
    """The event is off: a cancellation that removes the calendar entry of each confirmed
    attendee, a notice for the waitlist. Returns how many were queued."""
    return _notify_about_event(event, "event_cancelled", "CANCEL", note=note)


def queue_organizer_message(
    event: Event,
    subject: str,
    body: str,
    audience: MessageRecipients,
    *,
    actor: User | None = None,
) -> int:
    """An organizer's own words to the attendees; the templates escape them. Logged for the
    `actor` who sent it. Returns how many were queued."""
    chosen = recipients(event, audience.statuses)
    for rsvp in chosen:
        queue_attendee_email(
            rsvp, "organizer_message", "organizer_message", subject=subject, body=body
        )
    audit.log_action(actor, "messaged", "attendees", event, label=subject, recipients=len(chosen))
    return len(chosen)


def queue_reminder(event: Event, rsvp: Rsvp) -> None:
    queue_attendee_email(rsvp, "reminder", "event_reminder")

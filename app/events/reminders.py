"""Reminders: one email to each confirmed attendee, REMINDER_HOURS before the event starts.

`Event.reminder_sent_at` makes it happen once. A pass claims each due event with a conditional
UPDATE (only the run whose UPDATE matched the row goes on) and queues the emails in the same
transaction, so two overlapping runs (cron plus the mail worker, say) never send it twice, and a
run that fails before committing leaves the event to the next one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import update

from app.db_types import utcnow
from app.events import notifications
from app.events.models import Event, EventStatus
from app.extensions import db
from app.rsvps.models import RsvpStatus


def reminder_lead() -> timedelta:
    return timedelta(hours=current_app.config["REMINDER_HOURS"])


def due_event_ids(now: datetime) -> list[int]:
    """Published events starting within the lead time, not yet reminded, soonest first."""
    return list(
        db.session.scalars(
            db.select(Event.id)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.reminder_sent_at.is_(None),
                Event.starts_at > now,
                Event.starts_at <= now + reminder_lead(),
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def claim(event_id: int, now: datetime) -> bool:
    """Mark the event reminded if it still needs it; True only for the run that did.

    The conditions are checked again by the database under the row's write lock, so of two
    concurrent runs the second matches nothing once the first has committed.
    """
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            Event.status == EventStatus.PUBLISHED,
            Event.reminder_sent_at.is_(None),
            Event.starts_at > now,
        )
        # Keep updated_at: a reminder is not a change to the event (feeds show LAST-MODIFIED).
        .values(reminder_sent_at=now, updated_at=Event.updated_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remind(event_id: int, now: datetime) -> int:
    """Queue the reminder for one event if this run claims it; returns emails queued."""
    if not claim(event_id, now):
        return 0
    event = db.session.get(Event, event_id, populate_existing=True)
    attendees = notifications.recipients(event, (RsvpStatus.CONFIRMED,))
    for rsvp in attendees:
        notifications.queue_reminder(event, rsvp)
    return len(attendees)


def send_due_reminders(now: datetime) -> int:
    """One pass over every due event. Returns emails queued.

    Like the outbox's `deliver_pending`, a pass is a job that owns its transactions: each event
    is committed on its own, so its claim is held only while its own emails are queued.
    """
    queued = 0
    for event_id in due_event_ids(now):
        queued += remind(event_id, now)
        db.session.commit()
    return queued


def rearm(event: Event, now: datetime) -> None:
    """After a move, remind again before the new start, unless it is already inside the
    reminder window (the change notice has just told everyone the new time)."""
    if event.reminder_sent_at is not None and event.starts_at - now > reminder_lead():
        event.reminder_sent_at = None


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Queue reminders for events starting soon (one pass; `send-mail` delivers them)."""
    queued = send_due_reminders(utcnow())
    click.echo(f"reminders queued: {queued}")

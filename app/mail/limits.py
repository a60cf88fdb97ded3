"""The per-recipient hourly limit: no inbox gets more than MAIL_MAX_PER_RECIPIENT_PER_HOUR
messages an hour from us, whoever causes them.

The limit delays delivery; it never drops a message. Refusing to queue would let a stranger who
answers a few events with someone's address use up that person's hour, and the confirmation or
reminder they really needed would be lost. Held messages wait in the outbox, in order, and go as
the hour allows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func

from app.extensions import db
from app.mail.models import OutboxMessage

WINDOW = timedelta(hours=1)

# Kinds delivered whatever the limit says. Only an organizer's change to an event, or a seat
# freeing up, causes them: no visitor can repeat them at will, each happens at most once per
# attendee per real change, and an hour late would send a person to a meeting that moved or was
# called off, or lose them the seat they waited for. They still count towards the limit.
ALWAYS_SENT_KINDS = frozenset(
    {
        "event_changed",
        "event_changed_waitlisted",
        "event_cancelled",
        "event_cancelled_waitlisted",
        "rsvp_promoted",
        # A visit's further stops, each in an email of its own beside the one above
        # (app/rsvps/notifications.py): late, the calendar would show a stop that moved.
        "event_changed_entry",
        "event_cancelled_entry",
        "rsvp_promoted_entry",
    }
)


def hold_until(message: OutboxMessage, at: datetime) -> datetime | None:
    """When `message` may go, if its recipient (any letter case) has had their hourly share of
    delivered mail by `at`; None when it may go now."""
    if message.kind in ALWAYS_SENT_KINDS:
        return None
    limit = current_app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"]
    recent = db.session.scalars(
        db.select(OutboxMessage.sent_at)
        .where(
            func.lower(OutboxMessage.recipient_email) == message.recipient_email.lower(),
            OutboxMessage.sent_at > at - WINDOW,
        )
        .order_by(OutboxMessage.sent_at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    return recent[-1] + WINDOW  # when the oldest of those leaves the hour

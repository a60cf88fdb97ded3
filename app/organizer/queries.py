"""What the organizer workspace reads: events of every status, with their RSVP counts."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.events.models import Event
from app.extensions import db
from app.rsvps.models import Rsvp, RsvpStatus


@dataclass(frozen=True)
class RsvpCounts:
    attending: int = 0  # confirmed attendees, not counting guests
    guests: int = 0  # guests of confirmed attendees
    waitlisted: int = 0
    declined: int = 0
    cancelled: int = 0
    checked_in: int = 0

    @property
    def seats_taken(self) -> int:
        return self.attending + self.guests


def rsvp_counts(event_ids: list[int]) -> dict[int, RsvpCounts]:
    """Counts per event in one grouped query, for any number of events."""
    if not event_ids:
        return {}

    def count_status(status: RsvpStatus):
        return func.sum(case((Rsvp.status == status, 1), else_=0))

    rows = db.session.execute(
        db.select(
            Rsvp.event_id,
            count_status(RsvpStatus.CONFIRMED),
            func.sum(case((Rsvp.status == RsvpStatus.CONFIRMED, Rsvp.guests), else_=0)),
            count_status(RsvpStatus.WAITLISTED),
            count_status(RsvpStatus.DECLINED),
            count_status(RsvpStatus.CANCELLED),
            func.sum(case((Rsvp.checked_in_at.is_not(None), 1), else_=0)),
        )
        .where(Rsvp.event_id.in_(event_ids))
        .group_by(Rsvp.event_id)
    ).all()
    counts = {event_id: RsvpCounts() for event_id in event_ids}
    for event_id, *numbers in rows:
        counts[event_id] = RsvpCounts(*(int(n or 0) for n in numbers))
    return counts


def upcoming_for_organizers(now: datetime, visible: ColumnElement[bool]) -> list[Event]:
    """Every event not yet over among the `visible` ones (app/events/access.py
    `visible_events`), drafts and invite-only included, soonest first."""
    return list(
        db.session.scalars(
            db.select(Event)
            .where(Event.ends_at > now, visible)
            .order_by(Event.starts_at, Event.id)
            .options(selectinload(Event.venue))
        )
    )


def recent_past_for_organizers(
    now: datetime, visible: ColumnElement[bool], limit: int = 10
) -> list[Event]:
    return list(
        db.session.scalars(
            db.select(Event)
            .where(Event.ends_at <= now, visible)
            .order_by(Event.starts_at.desc())
            .limit(limit)
            .options(selectinload(Event.venue))
        )
    )

"""Reading RSVPs: seat counts, waitlist order, lookups."""

from sqlalchemy import func

from app.events.models import Event, ItineraryStop
from app.extensions import db
from app.rsvps.models import Rsvp, RsvpStatus


def email_key(email: str) -> str:
    """How emails are compared: case-insensitively, surrounding space ignored."""
    return email.strip().casefold()


def seats_taken(event: Event) -> int:
    """Seats held by confirmed attendees and their guests."""
    taken = db.session.scalar(
        db.select(func.coalesce(func.sum(1 + Rsvp.guests), 0)).where(
            Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.CONFIRMED
        )
    )
    return int(taken or 0)


def seats_left(event: Event) -> int | None:
    """Free seats, or None when the event has no capacity limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - seats_taken(event), 0)


def waitlist_position(rsvp: Rsvp) -> int | None:
    """1 for the next in line; None when not waitlisted."""
    if rsvp.status is not RsvpStatus.WAITLISTED or rsvp.waitlisted_at is None:
        return None
    ahead = db.session.scalar(
        db.select(func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.event_id == rsvp.event_id,
            Rsvp.status == RsvpStatus.WAITLISTED,
            (Rsvp.waitlisted_at < rsvp.waitlisted_at)
            | ((Rsvp.waitlisted_at == rsvp.waitlisted_at) & (Rsvp.id < rsvp.id)),
        )
    )
    return int(ahead or 0) + 1


def find_rsvp(event: Event, email: str) -> Rsvp | None:
    """The address's RSVP (any letter case), read afresh: services look it up under the event
    lock, and a copy loaded before the lock may be out of date."""
    return db.session.scalar(
        db.select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.email_key == email_key(email))
        .execution_options(populate_existing=True)
    )


def stops_joined(rsvp: Rsvp) -> list[ItineraryStop]:
    """The stops of a visit the attendee joins, whose calendar entries they get (app/ical.py):
    every stop, until attendees can choose theirs."""
    return list(rsvp.event.stops)

"""Reading security lists without opening anyone's details: nothing here decrypts."""

from __future__ import annotations

from sqlalchemy import func, inspect

from app.events.models import Event
from app.extensions import db
from app.privacy.encryption import encryption_available
from app.rsvps.models import Rsvp, RsvpStatus
from app.security_lists.models import SecurityDetails, SecurityList


def security_list_of(event: Event) -> SecurityList | None:
    return db.session.scalar(db.select(SecurityList).where(SecurityList.event_id == event.id))


def collects_details(event: Event) -> SecurityList | None:
    """The event's list if its details are asked now: it has one, and this server can encrypt
    them. Without a key nothing is asked (nor required), rather than stored in plain text."""
    if not encryption_available():
        return None
    return security_list_of(event)


def has_details(rsvp: Rsvp) -> bool:
    """Whether the RSVP has details on record, without decrypting them: from the session when
    they were just given or loaded, else by their id alone."""
    state = inspect(rsvp)
    if "security_details" in state.dict:
        return state.dict["security_details"] is not None
    if rsvp.id is None:
        return False
    found = db.session.scalar(
        db.select(SecurityDetails.id).where(SecurityDetails.rsvp_id == rsvp.id)
    )
    return found is not None


def details_given(event: Event) -> tuple[int, int]:
    """(attending people with details on record, attending people): how far the list is."""
    attending = Rsvp.status.in_((RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED))
    total = db.session.scalar(
        db.select(func.count(Rsvp.id)).where(Rsvp.event_id == event.id, attending)
    )
    given = db.session.scalar(
        db.select(func.count(SecurityDetails.id))
        .join(Rsvp, Rsvp.id == SecurityDetails.rsvp_id)
        .where(Rsvp.event_id == event.id, attending)
    )
    return given or 0, total or 0


def details_ids(event: Event) -> list[int]:
    """The ids of every attendee's details for the event, whatever their status."""
    return list(
        db.session.scalars(
            db.select(SecurityDetails.id)
            .join(Rsvp, Rsvp.id == SecurityDetails.rsvp_id)
            .where(Rsvp.event_id == event.id)
        )
    )

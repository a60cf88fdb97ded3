"""Checking people in at the door: by search, by the QR code in their email, and walk-ins.

Who is physically at the door gets in: checking in someone who was waitlisted, declined or
cancelled confirms them, and walk-ins are confirmed, even past capacity. Nobody is emailed
about it; they are standing in front of the organizer.

Statuses change through the RSVP rules (`services.admit`), and new RSVPs are made where every
RSVP is (`services.new_rsvp`), under the event lock. Each arrival, undo and walk-in is logged
for the volunteer (`actor`) who recorded it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.audit import services as audit
from app.events.locking import lock_event
from app.events.models import Event
from app.extensions import db
from app.rsvps import services
from app.rsvps.attendee_list import AttendeeFilters, attendees_query
from app.rsvps.models import Rsvp
from app.rsvps.names import last_name_key
from app.rsvps.queries import find_rsvp

if TYPE_CHECKING:
    from app.accounts.models import User

# Walk-ins without an email get a unique address under a reserved domain (RFC 2606): the model
# needs one per RSVP, `.invalid` can never be delivered, and the outbox skips it.
WALK_IN_DOMAIN = "walk-in.invalid"
SEARCH_LIMIT = 50  # results a phone screen can take; a longer search narrows it


def is_placeholder_email(email: str | None) -> bool:
    return bool(email) and email.endswith("@" + WALK_IN_DOMAIN)


def placeholder_email() -> str:
    return f"walk-in-{secrets.token_hex(8)}@{WALK_IN_DOMAIN}"


@dataclass(frozen=True)
class SearchResult:
    people: list[Rsvp]
    more: bool  # there were more matches than SEARCH_LIMIT


def search_at_door(event: Event, search: str) -> SearchResult:
    """People matching the search, whatever their status, by last name.

    Declined and cancelled people are shown too: if they come after all, the organizer checks
    them in rather than creating a second RSVP under the same email.
    """
    if not search.strip():
        return SearchResult(people=[], more=False)
    query = attendees_query(event, AttendeeFilters(search=search)).limit(SEARCH_LIMIT + 1)
    found = list(db.session.scalars(query))
    people = sorted(found[:SEARCH_LIMIT], key=lambda r: last_name_key(r.name, r.language))
    return SearchResult(people=people, more=len(found) > SEARCH_LIMIT)


def check_in(rsvp: Rsvp, now: datetime, *, actor: User | None = None) -> bool:
    """Mark the person as arrived; False if they already were (the first time is kept).

    Under the event lock, on a fresh read of the RSVP: of two volunteers scanning the same code
    at once, the second finds the arrival the first recorded, so there is one arrival and one
    entry in the log.
    """
    lock_event(rsvp.event)
    return _arrive(rsvp, now, actor)


def _arrive(rsvp: Rsvp, now: datetime, actor: User | None) -> bool:
    """Check in with the event already locked."""
    db.session.refresh(rsvp)
    if rsvp.checked_in_at is not None:
        return False
    with audit.watching(actor, rsvp, action="checked_in"):
        services.admit(rsvp, now)
        rsvp.checked_in_at = now
    db.session.flush()
    return True


def undo_check_in(rsvp: Rsvp, *, actor: User | None = None) -> bool:
    """Take back a check-in made by mistake; False if they were not checked in.

    Their status stays confirmed: the seat was given when they were let in.
    """
    lock_event(rsvp.event)
    db.session.refresh(rsvp)
    if rsvp.checked_in_at is None:
        return False
    with audit.watching(actor, rsvp):
        rsvp.checked_in_at = None
    db.session.flush()
    return True


@dataclass(frozen=True)
class WalkIn:
    rsvp: Rsvp
    created: bool  # False: the email already had an RSVP, which was checked in instead
    already_checked_in: bool = False


def add_walk_in(
    event: Event,
    now: datetime,
    *,
    name: str,
    organization: str = "",
    email: str | None = None,
    language: str = "en",
    actor: User | None = None,
) -> WalkIn:
    """Someone at the door without an RSVP: confirm and check them in on the spot.

    An email that already has an RSVP for this event checks that RSVP in instead, since there is
    one answer per person and event.
    """
    event = lock_event(event)  # one answer per email: serialize with concurrent RSVPs
    if email:
        existing = find_rsvp(event, email)
        if existing is not None:
            arrived = _arrive(existing, now, actor)
            return WalkIn(rsvp=existing, created=False, already_checked_in=not arrived)
    rsvp = services.new_rsvp(event, email or placeholder_email())
    rsvp.name = name
    rsvp.organization = organization
    rsvp.language = language
    rsvp.guests = 0
    services.admit(rsvp, now)
    rsvp.checked_in_at = now
    db.session.flush()
    audit.log_created(actor, rsvp)
    return WalkIn(rsvp=rsvp, created=True)

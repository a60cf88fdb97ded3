"""Which events each calendar feed holds, and a cheap summary of them for HTTP validators.

A selection is a set of WHERE criteria, so the same rule serves both the aggregate that answers
conditional requests (one row, no events loaded) and the query that loads the events to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, func
from sqlalchemy.orm import selectinload

from app.events.models import Event, EventKind, EventStatus, ItineraryStop
from app.extensions import db
from app.rsvps.models import Rsvp, RsvpStatus


@dataclass(frozen=True)
class Selection:
    """The events of one feed, and optionally another moment the feed changes at.

    `also_changed_at` is a scalar subquery for changes that do not touch the selected events'
    rows: a personal feed loses an event when its owner declines, which only the RSVP records.
    """

    criteria: tuple[ColumnElement[bool], ...]
    also_changed_at: ScalarSelect[datetime | None] | None = None


@dataclass(frozen=True)
class FeedState:
    """How many events a feed holds and when the latest of them (or anything else) changed."""

    count: int
    last_modified: datetime | None


def _public() -> tuple[ColumnElement[bool], ...]:
    # Cancelled events stay in public feeds (as STATUS:CANCELLED) so subscribers drop them.
    return (Event.is_public,)


def public_selection(now: datetime, past_days: int, kind: EventKind | None = None) -> Selection:
    """Public events not over more than `past_days` ago, of one kind or all."""
    criteria = (*_public(), Event.ends_at > now - timedelta(days=past_days))
    if kind is not None:
        criteria = (*criteria, Event.kind == kind)
    return Selection(criteria)


def event_selection(slug: str) -> Selection:
    """One event, if anyone may see it: the same rule as the event page."""
    return Selection((*_public(), Event.slug == slug))


def personal_selection(email_key: str) -> Selection:
    """Every event the person (any of their RSVPs, by address) attends or waits for.

    Invite-only events are included: the person was invited. Drafts are not, since their page
    does not exist for the public.
    """
    attending = db.select(Rsvp.event_id).where(
        Rsvp.email_key == email_key,
        Rsvp.status.in_((RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)),
    )
    last_answer = (
        db.select(func.max(Rsvp.updated_at)).where(Rsvp.email_key == email_key).scalar_subquery()
    )
    return Selection(
        (Event.status != EventStatus.DRAFT, Event.id.in_(attending)),
        also_changed_at=last_answer,
    )


def feed_state(selection: Selection) -> FeedState:
    """Count and latest change of the selected events, in one aggregate query."""
    columns = [func.count(Event.id), func.max(Event.updated_at)]
    if selection.also_changed_at is not None:
        columns.append(selection.also_changed_at)
    row = db.session.execute(db.select(*columns).where(*selection.criteria)).one()
    moments = [moment for moment in row[1:] if moment is not None]
    return FeedState(count=row[0], last_modified=max(moments, default=None))


def feed_events(selection: Selection) -> list[Event]:
    """The selected events in date order, with everything the calendar shows loaded at once."""
    return list(
        db.session.scalars(
            db.select(Event)
            .where(*selection.criteria)
            .order_by(Event.starts_at, Event.id)
            .options(
                selectinload(Event.venue),
                selectinload(Event.stops).selectinload(ItineraryStop.venue),
            )
        )
    )

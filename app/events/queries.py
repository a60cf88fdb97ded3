"""Reading events for the public side: what is listed, and who may see what."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from app.events.models import (
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
)
from app.extensions import db

if TYPE_CHECKING:
    from app.invitations.models import Invitation

PAGE_SIZE = 25


def _public_events() -> Select[tuple[Event]]:
    """Events anyone may see, loaded with what a listing shows (query count stays flat)."""
    return (
        db.select(Event)
        .where(Event.is_public)
        .options(
            selectinload(Event.venue),
            selectinload(Event.organizations).joinedload(EventOrganization.organization),
        )
    )


def upcoming_events(now: datetime, kind: EventKind | None = None, page: int = 1) -> Pagination:
    """Public events not yet over, soonest first; events under way count as upcoming."""
    query = _public_events().where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def past_events(now: datetime, kind: EventKind | None = None, page: int = 1) -> Pagination:
    """Public events that are over, most recent first."""
    query = (
        _public_events()
        .where(Event.ends_at <= now)
        .order_by(Event.starts_at.desc(), Event.id.desc())
    )
    if kind is not None:
        query = query.where(Event.kind == kind)
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def find_event_by_slug(slug: str) -> Event | None:
    return db.session.scalar(
        db.select(Event)
        .where(Event.slug == slug)
        .options(
            selectinload(Event.venue),
            selectinload(Event.organizations).joinedload(EventOrganization.organization),
            selectinload(Event.stops).selectinload(ItineraryStop.venue),
        )
    )


def can_view(event: Event, invitation: Invitation | None = None) -> bool:
    """Whether an anonymous visitor may see the event, holding `invitation` if one is given.

    Drafts and invite-only events stay hidden (404, so their existence is not revealed). A
    live invitation opens its own invite-only event, once published: never a draft (whatever
    links went out before it was unpublished), never another event, never once revoked.
    """
    if event.is_public:
        return True
    return (
        invitation is not None
        and invitation.event_id == event.id
        and not invitation.is_revoked
        and event.status is not EventStatus.DRAFT
    )

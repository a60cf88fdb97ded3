"""Events' slugs: made from a title, unique, and fixed once links to the event are out.

The forms check a typed slug's shape (SLUG_PATTERN, SLUG_MAX); the rules that need the database
(taken, reserved, locked after publishing) are here, used by app/events/services.py.
"""

from __future__ import annotations

import re
import unicodedata

from app.events.errors import SlugLocked, SlugTaken
from app.events.models import Event, EventStatus
from app.extensions import db
from app.rsvps.models import Rsvp

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 120
# Words the organizer's URLs use beside slugs (/organizer/events/new), so never an event's slug.
RESERVED_SLUGS = frozenset({"new"})
SLUG_BASE_MAX = 80  # leaves room for "-copy-12" and the like


def slugify(text: str) -> str:
    """A URL-safe slug from a title: "Reunión del Consejo" -> "reunion-del-consejo"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_BASE_MAX].rstrip("-") or "event"


def _slug_in_use(slug: str, event: Event | None = None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    query = db.select(Event.id).where(Event.slug == slug)
    if event is not None and event.id is not None:
        query = query.where(Event.id != event.id)
    return db.session.scalar(query) is not None


def unique_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3` … whichever is free."""
    candidate, n = base, 1
    while _slug_in_use(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def slug_can_change(event: Event) -> bool:
    """Only while a draft that never took answers: once published, links to the event are in
    feeds, emails and calendars, and must keep working. An unpublished event that has RSVPs
    was published before, so its slug stays too."""
    if event.status is not EventStatus.DRAFT:
        return False
    if event.id is None:
        return True
    has_rsvps = db.session.scalar(db.select(Rsvp.id).where(Rsvp.event_id == event.id).limit(1))
    return has_rsvps is None


def set_slug(event: Event, wanted: str | None, title: str) -> None:
    """Give the event the slug the organizer asked for, or one made from `title` if it has
    none yet; raise SlugLocked or SlugTaken if it cannot have it."""
    if wanted is None or wanted == event.slug:
        if event.slug is None:
            event.slug = unique_slug(slugify(title))
        return
    if event.slug is not None and not slug_can_change(event):
        raise SlugLocked(event.slug)
    if _slug_in_use(wanted, event):
        raise SlugTaken(wanted)
    event.slug = wanted

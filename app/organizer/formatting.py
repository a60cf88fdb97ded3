"""Times on organizer pages, always in the event's own zone: the door is there, not in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel.dates import format_datetime, format_time

from app.events.models import Event
from app.i18n import current_language


def local_formatter(event: Event, with_date: bool = True) -> Callable[[datetime | None], str]:
    """A function for templates: a moment as the event's wall clock in the reader's language,
    e.g. "9/14/26, 9:05 AM" or, without the date, "9:05 AM" ("9:05" in Spanish)."""
    language = current_language()

    def format_local(moment: datetime | None) -> str:
        if moment is None:
            return ""
        if with_date:
            return format_datetime(moment, "short", tzinfo=event.zone, locale=language)
        return format_time(moment, "short", tzinfo=event.zone, locale=language)

    return format_local

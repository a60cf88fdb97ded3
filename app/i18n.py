"""Language choice and locale-aware formatting of event times."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """An explicit `?lang=`, else the remembered choice, else the browser's, else English."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]  # CLI and workers say which language with force_locale()
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in languages:
            return candidate
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def _short_date(moment: datetime, language: str, with_year: bool) -> str:
    if language == "es":
        pattern = "EEE d MMM y" if with_year else "EEE d MMM"
    else:
        pattern = "EEE MMM d, y" if with_year else "EEE MMM d"
    return format_date(moment, pattern, locale=language)


def _time(moment: datetime, language: str, with_period: bool = True) -> str:
    if language == "es":
        return format_time(moment, "H:mm", locale=language)
    return format_time(moment, "h:mm a" if with_period else "h:mm", locale=language)


def format_when(
    starts_at: datetime, ends_at: datetime | None, zone: str, language: str, with_year=False
) -> str:
    """A compact time range in the event's own zone, e.g. "Fri Aug 14, 9:00–11:00 AM PDT".

    The zone abbreviation is the one in force at that instant, so a date across a DST change
    reads PST or PDT correctly. A range over several days names both days.
    """
    tz = ZoneInfo(zone)
    start = starts_at.astimezone(tz)
    day = _short_date(start, language, with_year)
    if ends_at is None:
        return f"{day}, {_time(start, language)} {start.tzname()}"
    end = ends_at.astimezone(tz)
    if start.date() != end.date():
        return (
            f"{day}, {_time(start, language)} {start.tzname()} – "
            f"{_short_date(end, language, with_year)}, {_time(end, language)} {end.tzname()}"
        )
    if start.tzname() != end.tzname():
        return (
            f"{day}, {_time(start, language)} {start.tzname()}–"
            f"{_time(end, language)} {end.tzname()}"
        )
    same_period = start.strftime("%p") == end.strftime("%p")
    first = _time(start, language, with_period=not same_period)
    return f"{day}, {first}–{_time(end, language)} {end.tzname()}"


def format_long_date(moment: datetime, zone: str, language: str) -> str:
    """The full local date, e.g. "Friday, August 14, 2026" / "viernes, 14 de agosto de 2026"."""
    return format_date(moment.astimezone(ZoneInfo(zone)), "full", locale=language)


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject_language() -> dict:
        return {
            "lang": current_language(),
            "languages": app.config["LANGUAGES"],
            "format_when": format_when,
        }

    @app.template_filter("when")
    def when_filter(item, with_year: bool = False) -> str:
        """`event|when` or `stop|when`: the item's time range in its own zone."""
        return format_when(
            item.starts_at, item.ends_at, item.timezone, current_language(), with_year
        )

    @app.template_filter("long_date")
    def long_date_filter(item) -> str:
        return format_long_date(item.starts_at, item.timezone, current_language())

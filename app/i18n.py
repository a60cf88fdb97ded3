"""Language choice and locale-aware formatting of event times: on the event's clock, and on the
reader's too where it differs (in emails here, on pages by static/js/local-time.js)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import Flask, current_app, has_request_context, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.timezones import browser_zone

LANGUAGE_COOKIE = "lang"

# The city a zone is known by where the coalition works; other zones go by their own name.
ZONE_CITIES = {
    "America/Tijuana": _l("Tijuana"),
    "America/Los_Angeles": _l("Los Angeles/San Diego"),
    "America/Mexico_City": _l("Mexico City"),
}


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


def format_clock(moment: datetime, zone: str, language: str) -> str:
    """Just the local time of day, e.g. "9:15 AM" / "9:15" (as `format_when` writes times)."""
    return _time(moment.astimezone(ZoneInfo(zone)), language)


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
    return f"{day}, {_same_day_times(start, end, language)}"


def _same_day_times(start: datetime, end: datetime | None, language: str) -> str:
    """The clock part of a range within one day, e.g. "9:00–11:00 AM PDT"."""
    if end is None:
        return f"{_time(start, language)} {start.tzname()}"
    if start.tzname() != end.tzname():
        return f"{_time(start, language)} {start.tzname()}–{_time(end, language)} {end.tzname()}"
    same_period = start.strftime("%p") == end.strftime("%p")
    first = _time(start, language, with_period=not same_period)
    return f"{first}–{_time(end, language)} {end.tzname()}"


def zone_city(zone: str) -> str:
    """The place a zone is named for, in the current language: "Mexico City" for
    America/Mexico_City, "Ho Chi Minh" for Asia/Ho_Chi_Minh."""
    city = ZONE_CITIES.get(zone)
    return str(city) if city is not None else zone.rsplit("/", 1)[-1].replace("_", " ")


def _clocks_differ(moments: list[datetime], zone: str, other: str) -> bool:
    """Whether the two zones' clocks disagree at any of `moments` (Tijuana and Los Angeles
    never do; Mexico City and Tijuana always do)."""
    first, second = ZoneInfo(zone), ZoneInfo(other)
    return any(m.astimezone(first).utcoffset() != m.astimezone(second).utcoffset() for m in moments)


def format_when_both(
    starts_at: datetime,
    ends_at: datetime | None,
    zone: str,
    viewer_zone: str | None,
    language: str,
    with_year=False,
) -> str:
    """`format_when` in the event's zone and, where the reader's clock differs, on theirs too:
    "Fri Aug 14, 9:00–11:00 AM CST, Mexico City · 7:00–9:00 AM PST in Tijuana". The reader's
    days are named only when they are not the event's. One clock when `viewer_zone` is unknown or
    agrees with the event's zone at those times.
    """
    ours = format_when(starts_at, ends_at, zone, language, with_year)
    viewer_zone = browser_zone(viewer_zone)
    moments = [starts_at] if ends_at is None else [starts_at, ends_at]
    if viewer_zone is None or not _clocks_differ(moments, zone, viewer_zone):
        return ours
    tz, event_tz = ZoneInfo(viewer_zone), ZoneInfo(zone)
    start = starts_at.astimezone(tz)
    end = ends_at.astimezone(tz) if ends_at is not None else None
    same_days = start.date() == starts_at.astimezone(event_tz).date() and (
        end is None or end.date() == ends_at.astimezone(event_tz).date()
    )
    if not same_days:
        theirs = format_when(starts_at, ends_at, viewer_zone, language, with_year)
    elif end is None or end.date() == start.date():
        theirs = _same_day_times(start, end, language)
    else:  # over several days, the same ones as the event's
        theirs = (
            f"{_time(start, language)} {start.tzname()} – {_time(end, language)} {end.tzname()}"
        )
    with force_locale(language):
        return f"{ours}, {zone_city(zone)} · " + _(
            "%(time)s in %(city)s", time=theirs, city=zone_city(viewer_zone)
        )


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_element(
    starts_at: datetime, ends_at: datetime | None, zone: str, with_year=False
) -> Markup:
    """The time range on the event's clock, in a <time> element that static/js/local-time.js
    completes with the reader's clock where it differs. Without JavaScript it reads whole."""
    text = format_when(starts_at, ends_at, zone, current_language(), with_year)
    end = Markup(' data-end="{}"').format(_iso_utc(ends_at)) if ends_at is not None else ""
    return Markup('<time datetime="{}" data-zone="{}"{}>{}</time>').format(
        _iso_utc(starts_at), zone, end, text
    )


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
            "format_when_both": format_when_both,
            "time_element": time_element,
        }

    @app.template_filter("when")
    def when_filter(item, with_year: bool = False, viewer_zone: str | None = None) -> str:
        """`event|when` or `stop|when`: the item's time range in its own zone; with
        `viewer_zone` (an attendee's, in emails), on that clock too where it differs."""
        return format_when_both(
            item.starts_at,
            item.ends_at,
            item.timezone,
            viewer_zone or None,
            current_language(),
            with_year,
        )

    @app.template_filter("when_time")
    def when_time_filter(item, with_year: bool = False) -> Markup:
        """`event|when_time` on pages: the `when` text in a <time> element (`time_element`)."""
        return time_element(item.starts_at, item.ends_at, item.timezone, with_year)

    @app.template_filter("long_date")
    def long_date_filter(item) -> str:
        return format_long_date(item.starts_at, item.timezone, current_language())

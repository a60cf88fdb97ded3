"""The one iCalendar builder, used by feeds, downloads and emailed invitations alike.

Every event keeps one UID (`Event.uid`) and a SEQUENCE that grows when its time, place or status
changes, so a calendar that once imported it replaces that same entry on update or cancellation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from app.events.labels import KIND_LABELS
from app.events.models import Event
from app.rsvps.models import Rsvp
from app.urls import absolute_url

PRODID = "-//Convoca//Convoca Events//EN"


def _organizer() -> vCalAddress:
    config = current_app.config
    organizer = vCalAddress(f"mailto:{config['ORGANIZER_EMAIL']}")
    organizer.params["CN"] = vText(config["ORGANIZER_NAME"])
    return organizer


def event_location(event: Event) -> str:
    if event.venue is not None:
        return event.venue.one_line
    first_stop = next((s for s in event.stops if s.venue is not None), None)
    return first_stop.venue.one_line if first_stop else ""


def event_description(event: Event, language: str) -> str:
    """Plain text: the description, a visit's itinerary, then the event's web address."""
    parts = [event.description(language).strip()]
    if event.stops:
        from app.i18n import format_when

        lines = [
            f"• {format_when(stop.starts_at, stop.ends_at, stop.timezone, language)} — "
            f"{stop.title(language)}" + (f" ({stop.venue.one_line})" if stop.venue else "")
            for stop in event.stops
        ]
        parts.append("\n".join(lines))
    parts.append(absolute_url("events.detail", slug=event.slug))
    return "\n\n".join(p for p in parts if p)


def event_component(event: Event, language: str, stamp: datetime) -> VEvent:
    """The VEVENT for an event, with local times and its zone (VTIMEZONE added by callers)."""
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", event.updated_at)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", event.starts_at.astimezone(event.zone))
    vevent.add("dtend", event.ends_at.astimezone(event.zone))
    vevent.add("summary", event.title(language))
    location = event_location(event)
    if location:
        vevent.add("location", location)
    vevent.add("description", event_description(event, language))
    vevent.add("url", absolute_url("events.detail", slug=event.slug))
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("categories", [str(KIND_LABELS[event.kind])])
    vevent.add("organizer", _organizer())
    vevent.add("transp", "OPAQUE")
    return vevent


def _calendar(method: str, stamp_components: Iterable[VEvent], name: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
    for component in stamp_components:
        cal.add_component(component)
    _add_timezones(cal)
    return cal


def _add_timezones(cal: Calendar) -> None:
    """A VTIMEZONE for every TZID used, covering the events' years (RFC 5545 §3.6.5)."""
    starts = [c.decoded("dtstart") for c in cal.walk("VEVENT")]
    if not starts:
        return
    first = min(starts).date() - timedelta(days=366)
    last = max(starts).date() + timedelta(days=366)
    cal.add_missing_timezones(first_date=first, last_date=last)
    # Put VTIMEZONEs before the events that refer to them, as some clients expect.
    cal.subcomponents.sort(key=lambda c: c.name != "VTIMEZONE")


def publish_calendar(
    events: Iterable[Event],
    language: str,
    name: str | None,
    stamp: datetime,
    *,
    refresh: timedelta | None = None,
) -> Calendar:
    """A METHOD:PUBLISH calendar: feeds and single-event downloads."""
    cal = _calendar("PUBLISH", (event_component(e, language, stamp) for e in events), name)
    if refresh is not None:
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", refresh)
    return cal


def invitation(event: Event, rsvp: Rsvp, method: str, stamp: datetime) -> Calendar:
    """An iTIP invitation (RFC 5546) for one attendee: REQUEST adds or updates, CANCEL removes."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    vevent = event_component(event, rsvp.language, stamp)
    attendee = vCalAddress(f"mailto:{rsvp.email}")
    attendee.params["CN"] = vText(rsvp.name)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("ACCEPTED" if method == "REQUEST" else "DECLINED")
    attendee.params["RSVP"] = vText("FALSE")
    vevent.add("attendee", attendee)
    if method == "CANCEL":
        vevent["status"] = vText("CANCELLED")
    return _calendar(method, [vevent], None)

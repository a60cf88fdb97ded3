"""The one iCalendar builder, used by feeds, downloads and emailed invitations alike.

Every event keeps one UID (`Event.uid`) and a SEQUENCE that grows when its time, place or status
changes, so a calendar that once imported it replaces that same entry on update or cancellation.
Times are written in the event's own zone together with a VTIMEZONE that spells out its DST rules,
so clients that do not know IANA zone names (Outlook) still place events at the right instant.

A visit with stops is its stops: in calendars it is one entry (VEVENT) per stop, not one block
from the first stop to the last, which would keep the nights busy. A stop's entry has the UID
`<event.uid>-stop-<stop.id>` (stable: a stop keeps its id when it is edited or moved), the
stop's own time in the stop's own zone (DEFAULT_STOP_LENGTH when the stop has no end), the
stop's venue, "<visit>: <stop>" as its title, the visit's description and itinerary, the
event's SEQUENCE and status, and RELATED-TO the visit's UID (RELTYPE=PARENT). A visit without
stops, and every other event, stays one entry with the event's UID (`calendar_entries`).

iTIP allows one UID per REQUEST or CANCEL, and mail clients read only one calendar part per
email (Outlook and Gmail show the first and ignore the rest), so each entry travels in an email
of its own: the email the attendee expects (confirmation, change, cancellation) carries the
first entry, and each further entry follows in a short email that says which stop it is
(app/rsvps/notifications.py `queue_attendee_email`). The attendee's entries are those of the
stops they join (app/rsvps/queries.py `stops_joined`: every stop, until they can choose).

Every entry sent to an attendee has the same SEQUENCE, the event's plus their offset, and every
change of a stop's time or place raises the event's SEQUENCE (app/events/itinerary.py), so each
message is newer than anything that entry had. A change to the itinerary sends only the entries
it touched (`CalendarChange`): a stop added or changed gets a REQUEST, a stop removed a CANCEL,
two stops swapped a REQUEST each; the first stop added replaces the visit's single entry (its
CANCEL), and removing the last brings it back. The other entries keep their SEQUENCE and the
itinerary in their description as it was, until their own next update; feeds always have it
all. A change to the event itself, a cancellation, and anything about the attendee's own seat
go to every one of their entries.

An invitation not answered yet asks one question, so it carries the first entry only; the
confirmation that follows updates that same entry and adds the others. Answers to a stop's entry
are answers about the visit (app/inbound/processing.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, vCalAddress, vDuration, vInt, vText
from icalendar import Event as VEvent

from app.events.crossings import crossing_text
from app.events.labels import KIND_LABELS
from app.events.models import Event, EventKind, ItineraryStop
from app.i18n import format_when
from app.inbound.addresses import reply_address
from app.invitations.models import Invitation
from app.rsvps.models import Rsvp
from app.urls import absolute_url
from app.vtimezone import vtimezone

PRODID = "-//Convoca//Convoca Events//EN"
# How long a stop without an end keeps a calendar busy: about a visit's usual stop, and short
# enough not to overlap the next stop, which rarely starts within the hour.
DEFAULT_STOP_LENGTH = timedelta(hours=1)


def stop_uid(event: Event, stop: ItineraryStop) -> str:
    """The UID of a stop's calendar entry: the visit's, marked with the stop's id."""
    return f"{event.uid}-stop-{stop.id}"


def stop_id_of_uid(event: Event, uid: str) -> int | None:
    """The stop id in the UID of one of `event`'s stop entries; None for any other UID."""
    prefix = f"{event.uid}-stop-"
    rest = uid[len(prefix) :] if uid.startswith(prefix) else ""
    return int(rest) if rest.isascii() and rest.isdigit() else None


def is_entry_uid(event: Event, uid: str) -> bool:
    """Whether `uid` is one of the event's entries: the event's own, or one of its stops'
    (including a stop removed since: an answer to it is still about this event)."""
    return uid == event.uid or stop_id_of_uid(event, uid) is not None


def stop_ends_at(stop: ItineraryStop) -> datetime:
    """When a stop's calendar entry ends: its end, or DEFAULT_STOP_LENGTH after its start."""
    return stop.ends_at or stop.starts_at + DEFAULT_STOP_LENGTH


@dataclass(frozen=True)
class CalendarEntry:
    """One entry an event puts in calendars: the whole event, or one stop of a visit."""

    event: Event
    stop: ItineraryStop | None = None

    @property
    def uid(self) -> str:
        return self.event.uid if self.stop is None else stop_uid(self.event, self.stop)


def calendar_entries(
    event: Event, stops: Iterable[ItineraryStop] | None = None
) -> list[CalendarEntry]:
    """A visit's stops, one entry each, or else the whole event as one entry. `stops` narrows
    a visit to those of its stops (an attendee's: app/rsvps/queries.py `stops_joined`)."""
    if event.kind is EventKind.VISIT and event.stops:
        return [CalendarEntry(event, stop) for stop in (event.stops if stops is None else stops)]
    return [CalendarEntry(event)]


@dataclass(frozen=True)
class CalendarChange:
    """The entries a change touches in an attendee's calendar: a REQUEST for each entry added
    or changed, a CANCEL for each entry gone. REQUESTs come first, so that the email about the
    change carries an invitation whenever there is one."""

    requests: tuple[CalendarEntry, ...] = ()
    cancels: tuple[CalendarEntry, ...] = ()

    @classmethod
    def every(cls, entries: Iterable[CalendarEntry], method: str) -> CalendarChange:
        """All of `entries` with the same method, REQUEST or CANCEL."""
        entries = tuple(entries)
        return cls(requests=entries) if method == "REQUEST" else cls(cancels=entries)

    def messages(self) -> list[tuple[str, CalendarEntry]]:
        """(method, entry) for each iTIP message to send, in order."""
        return [("REQUEST", e) for e in self.requests] + [("CANCEL", e) for e in self.cancels]


@dataclass(frozen=True)
class _Texts:
    """What every VEVENT of one calendar shares, worked out once rather than per event."""

    language: str
    stamp: datetime
    organizer: vCalAddress
    categories: dict[EventKind, str]
    cancelled_summary: str  # "Cancelled: %(title)s" in the calendar's language


def _organizer(address: str) -> vCalAddress:
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = vText(current_app.config["ORGANIZER_NAME"])
    return organizer


def _texts(language: str, stamp: datetime) -> _Texts:
    organizer = _organizer(current_app.config["ORGANIZER_EMAIL"])
    with force_locale(language):
        categories = {kind: str(label) for kind, label in KIND_LABELS.items()}
        # Some subscribed clients (Google among them) keep showing STATUS:CANCELLED events, so
        # the title says it too. Without arguments gettext leaves the placeholder for later.
        cancelled_summary = _("Cancelled: %(title)s")
    return _Texts(language, stamp, organizer, categories, cancelled_summary)


def event_url(event: Event, language: str) -> str:
    """The event page, in the calendar's language when that is not the default one."""
    if language == current_app.config["LANGUAGES"][0]:
        return absolute_url("events.detail", slug=event.slug)
    return absolute_url("events.detail", slug=event.slug, lang=language)


def event_location(event: Event) -> str:
    """The venue with its address; a visit without one starts at its first stop's venue."""
    if event.venue is not None:
        return event.venue.one_line
    first_stop = next((s for s in event.stops if s.venue is not None), None)
    return first_stop.venue.one_line if first_stop else ""


def event_description(event: Event, language: str, url: str | None) -> str:
    """Plain text: the description, a visit's itinerary with its border crossings, then the
    event's web address."""
    parts = [event.description(language).strip()]
    if event.stops:
        lines = []
        for stop in event.stops:
            lines.append(
                f"• {format_when(stop.starts_at, stop.ends_at, stop.timezone, language)} — "
                f"{stop.title(language)}" + (f" ({stop.venue.one_line})" if stop.venue else "")
            )
            crossing = crossing_text(stop.crossing_after, language) if stop.crossing_after else ""
            if crossing:
                lines.append(f"  ↳ {crossing}")
        parts.append("\n".join(lines))
    parts.append(url)
    return "\n\n".join(p for p in parts if p)


def _vevent(
    event: Event, texts: _Texts, url: str | None = None, stop: ItineraryStop | None = None
) -> VEvent:
    """The entry of the whole event, or with `stop` the entry of that stop of a visit."""
    if url is None and event.is_public:
        url = event_url(event, texts.language)
    title = event.title(texts.language)
    vevent = VEvent()
    if stop is None:
        vevent.add("uid", event.uid)
        starts_at, ends_at, zone = event.starts_at, event.ends_at, event.zone
        location = event_location(event)
    else:
        title = f"{title}: {stop.title(texts.language)}"
        vevent.add("uid", stop_uid(event, stop))
        starts_at, ends_at, zone = stop.starts_at, stop_ends_at(stop), stop.zone
        location = stop.venue.one_line if stop.venue is not None else ""
    vevent.add("dtstamp", texts.stamp)
    vevent.add("created", event.created_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", starts_at.astimezone(zone))
    vevent.add("dtend", ends_at.astimezone(zone))
    vevent.add(
        "summary", texts.cancelled_summary % {"title": title} if event.is_cancelled else title
    )
    if location:
        vevent.add("location", location)
    vevent.add("description", event_description(event, texts.language, url))
    if url:
        vevent.add("url", url)
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("categories", [texts.categories[event.kind]])
    vevent.add("organizer", texts.organizer)
    # A cancelled event no longer keeps its time busy.
    vevent.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    if stop is not None:
        vevent.add("related-to", event.uid, parameters={"RELTYPE": "PARENT"})
    return vevent


def event_component(
    event: Event,
    language: str,
    stamp: datetime,
    url: str | None = None,
    stop: ItineraryStop | None = None,
) -> VEvent:
    """The VEVENT for an event, or for one stop of a visit, with local times and its zone
    (VTIMEZONE added by callers). `url` replaces the public page's address, for events the
    public cannot open."""
    return _vevent(event, _texts(language, stamp), url, stop)


def _calendar(method: str, components: list[VEvent], name: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
    cal.subcomponents.extend(components)
    _add_timezones(cal, components)
    return cal


def _add_timezones(cal: Calendar, components: list[VEvent]) -> None:
    """A VTIMEZONE for every TZID used, before the events, covering their dates (RFC 5545 §3.6.5)
    in the one-STANDARD, one-DAYLIGHT shape Outlook reads (app/vtimezone.py).

    The TZIDs come from the events' own DTSTART/DTEND rather than a walk over every property.
    """
    moments: dict[str, list[datetime]] = {}
    for component in components:
        for name in ("DTSTART", "DTEND"):
            tzid = component[name].params.get("TZID")
            if tzid is not None:  # UTC times carry no TZID
                moments.setdefault(tzid, []).append(component.decoded(name))
    cal.subcomponents[:0] = [vtimezone(tzid, moments[tzid]) for tzid in sorted(moments)]


def publish_calendar(
    events: Iterable[Event],
    language: str,
    name: str | None,
    stamp: datetime,
    *,
    refresh: timedelta | None = None,
    urls: Mapping[int, str] | None = None,
) -> Calendar:
    """A METHOD:PUBLISH calendar: feeds (named, with a refresh interval) and single downloads.

    `name` may be a lazy string: it is rendered in `language`, like everything else. `urls`
    gives the address of events the public cannot open, by event id.
    """
    texts = _texts(language, stamp)
    urls = urls or {}
    with force_locale(language):
        name = str(name) if name else None
    components = [
        _vevent(event, texts, urls.get(event.id), entry.stop)
        for event in events
        for entry in calendar_entries(event)
    ]
    cal = _calendar("PUBLISH", components, name)
    if refresh is not None:
        # RFC 7986, and the older name Outlook and Apple Calendar read.
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(refresh))
    return cal


def advance_attendee_sequence(rsvp: Rsvp, method: str) -> None:
    """Before a REQUEST or CANCEL about the attendee's own answer (a seat given or given up):
    raise their SEQUENCE offset so that a CANCEL is above every message they had, and a REQUEST
    above the CANCEL before it. Calendars ignore a message no newer than one they applied.

    The offset is odd exactly while the last of these was a CANCEL. A REQUEST after a REQUEST
    keeps its SEQUENCE (an update, RFC 5546 §2.1.5), so an attendee who never withdrew stays in
    step with the feeds. Every REQUEST or CANCEL to an attendee, event-wide notices included,
    goes through here (app/rsvps/notifications.py `queue_attendee_email`); those also add the
    offset to the raised event.sequence, which puts them above everything too.
    """
    cancelled_last = rsvp.ical_sequence_offset % 2 == 1
    if method == "CANCEL":
        rsvp.ical_sequence_offset += 2 if cancelled_last else 1
    elif cancelled_last:
        rsvp.ical_sequence_offset += 1


def _partstat(attendee: Rsvp | Invitation, method: str) -> str:
    """The person's participation as we know it: a CANCEL takes their seat away, an invitation
    waits for an answer, and a seat is accepted unless their calendar app said "maybe"."""
    if method == "CANCEL":
        return "DECLINED"
    if isinstance(attendee, Invitation):
        return "NEEDS-ACTION"
    # Only attendees with a seat get a REQUEST (the waitlist has no calendar entry). Saying
    # ACCEPTED over their TENTATIVE would flip their own calendar's answer on every update.
    return "TENTATIVE" if attendee.calendar_partstat == "TENTATIVE" else "ACCEPTED"


def calendar_invite(
    event: Event,
    attendee: Rsvp | Invitation,
    method: str,
    stamp: datetime,
    url: str | None = None,
    stop: ItineraryStop | None = None,
) -> Calendar:
    """An iTIP invitation (RFC 5546) for one person: REQUEST adds or updates, CANCEL removes.
    It is about one entry: the whole event, or with `stop` that stop of a visit.

    `attendee` is an RSVP, or an invitation not answered yet (a REQUEST asking for the answer).
    Its SEQUENCE is the event's plus an RSVP's offset (see advance_attendee_sequence): a CANCEL
    of this person's seat, and a REQUEST after it, are newer though the event is not.

    With INBOUND_EMAIL_DOMAIN set, the ORGANIZER is the person's own reply address and a REQUEST
    asks for an answer (RSVP=TRUE), so Accept in their calendar app reaches us (app/inbound).
    A CANCEL names that same ORGANIZER: clients ignore one from another organizer.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    vevent = event_component(event, attendee.language, stamp, url, stop)
    offset = attendee.ical_sequence_offset if isinstance(attendee, Rsvp) else 0
    vevent["sequence"] = vInt(event.sequence + offset)
    answer_to = reply_address(attendee)
    if answer_to is not None:
        vevent["organizer"] = _organizer(answer_to)
    person = vCalAddress(f"mailto:{attendee.email}")
    if attendee.name:  # an invitation may have an address alone
        person.params["CN"] = vText(attendee.name)
    person.params["ROLE"] = vText("REQ-PARTICIPANT")
    person.params["PARTSTAT"] = vText(_partstat(attendee, method))
    asks_answer = answer_to is not None and method == "REQUEST"
    person.params["RSVP"] = vText("TRUE" if asks_answer else "FALSE")
    vevent.add("attendee", person)
    if method == "CANCEL":
        vevent["status"] = vText("CANCELLED")
    return _calendar(method, [vevent], None)

"""Border crossings between a visit's stops: which pairs of stops cross and which way, and what
attendees read about them (the crossing's line, the documents to carry). Planning a crossing is
app/events/crossing_plans.py's.

A crossing belongs to the stop it follows (`ItineraryStop.crossing_after`). Its direction is not
stored: it follows from the two stops' countries, so a crossing whose stops were moved or changed
since it was planned is simply not shown until it crosses again (organizers see it flagged).

Pure functions over loaded models, safe to import from anywhere (app/ical.py, app/rsvps):
this module imports no services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.events.models import BorderCrossing, Event, ItineraryStop
from app.events.ports import GENERAL, PEDESTRIAN, READY_LANE, SENTRI, Port, port_named
from app.i18n import format_clock, format_when

NORTHBOUND = "northbound"  # Mexico into the United States
SOUTHBOUND = "southbound"  # the United States into Mexico

MIN_ALLOWANCE = 5
MAX_ALLOWANCE = 600

# What an attendee told us they will cross with (Rsvp.crossing_document), in the form's order.
US_PASSPORT = "us_passport"
SENTRI_CARD = "sentri"
MX_PASSPORT_VISA = "mx_passport_visa"
BORDER_CROSSING_CARD = "bcc"
CROSSING_DOCUMENTS = (US_PASSPORT, SENTRI_CARD, MX_PASSPORT_VISA, BORDER_CROSSING_CARD)

DOCUMENT_LABELS = {
    US_PASSPORT: _l("U.S. passport or passport card"),
    SENTRI_CARD: _l("SENTRI / Global Entry"),
    MX_PASSPORT_VISA: _l("Mexican passport with U.S. visa"),
    BORDER_CROSSING_CARD: _l("Border Crossing Card"),
}

LANE_LABELS = {
    GENERAL: _l("general lane"),
    READY_LANE: _l("Ready Lane"),
    SENTRI: _l("SENTRI lane"),
    PEDESTRIAN: _l("pedestrian lane"),
}

DIRECTION_LABELS = {NORTHBOUND: _l("Northbound"), SOUTHBOUND: _l("Southbound")}
DIRECTION_HEADINGS = {
    NORTHBOUND: _l("What to carry into the United States"),
    SOUTHBOUND: _l("What to carry into Mexico"),
}


def check_crossing_document(value: str | None) -> str | None:
    """`value` if it is one of CROSSING_DOCUMENTS (or None); anything else is a caller's bug,
    since forms offer only these."""
    if value is not None and value not in CROSSING_DOCUMENTS:
        raise ValueError(f"not a crossing document: {value!r}")
    return value


# Which stops cross, and which way


def stop_country(stop: ItineraryStop) -> str | None:
    return stop.venue.country if stop.venue is not None else None


def direction_between(stop: ItineraryStop, next_stop: ItineraryStop) -> str | None:
    """NORTHBOUND (into the US), SOUTHBOUND (into Mexico), or None when the two stops are in
    the same country or one has no venue to say where it is."""
    here, there = stop_country(stop), stop_country(next_stop)
    if here is None or there is None or here == there:
        return None
    return NORTHBOUND if there == "US" else SOUTHBOUND


def next_stop_after(stop: ItineraryStop) -> ItineraryStop | None:
    stops = stop.event.stops
    index = stops.index(stop)
    return stops[index + 1] if index + 1 < len(stops) else None


def crossings_needed(event: Event) -> list[tuple[ItineraryStop, ItineraryStop]]:
    """Each pair of consecutive stops in different countries: where the visit crosses."""
    return [(a, b) for a, b in pairwise(event.stops) if direction_between(a, b) is not None]


@dataclass(frozen=True)
class PlannedCrossing:
    """A crossing as the visit will make it: between which stops, which way, how."""

    stop: ItineraryStop
    next_stop: ItineraryStop
    crossing: BorderCrossing
    direction: str

    @property
    def port(self) -> Port | None:
        return port_named(self.crossing.port)

    @property
    def leave_by(self) -> datetime:
        return leave_by(self.next_stop, self.crossing.allowance_minutes)


def leave_by(next_stop: ItineraryStop, allowance_minutes: int) -> datetime:
    """When the group leaves to make the next stop in time: its start minus the allowance."""
    return next_stop.starts_at - timedelta(minutes=allowance_minutes)


def planned_crossing(stop: ItineraryStop) -> PlannedCrossing | None:
    """The crossing planned after `stop`, if there is one and it still crosses the border."""
    crossing = stop.crossing_after
    if crossing is None:
        return None
    following = next_stop_after(stop)
    direction = direction_between(stop, following) if following is not None else None
    if direction is None:
        return None
    return PlannedCrossing(stop, following, crossing, direction)


def planned_crossings(event: Event) -> list[PlannedCrossing]:
    return [p for p in map(planned_crossing, event.stops) if p is not None]


def crosses_border(event: Event) -> bool:
    """Whether the visit crosses the border at all: its attendees are asked how they cross."""
    return bool(crossings_needed(event))


# What attendees read


def _lane_phrase(lane: str) -> str:
    return str(LANE_LABELS.get(lane, lane))


def _departure_place(stop: ItineraryStop, language: str) -> str:
    return stop.venue.name if stop.venue is not None else stop.title(language)


def crossing_text(crossing: BorderCrossing, language: str) -> str:
    """One line about a planned crossing, in `language`, e.g. "Northbound at Otay Mesa, SENTRI
    lane — allow 45 min; leave Tijuana Trade Center by 9:15 AM". The time is on the clock of
    the stop being left; a departure on a later day than that stop says the day too. Empty
    when the crossing no longer leads across the border (its stops were changed)."""
    planned = planned_crossing(crossing.after_stop)
    if planned is None:
        return ""
    stop = planned.stop
    port = planned.port
    departure = planned.leave_by
    local = departure.astimezone(stop.zone)
    with force_locale(language):
        values = {
            "port": port.name(language) if port else crossing.port,
            "lane": _lane_phrase(crossing.lane),
            "minutes": crossing.allowance_minutes,
        }
        if planned.direction == NORTHBOUND:
            head = _("Northbound at %(port)s, %(lane)s — allow %(minutes)s min", **values)
        else:
            head = _("Southbound at %(port)s, %(lane)s — allow %(minutes)s min", **values)
        place = _departure_place(stop, language)
        if local.date() != stop.starts_at.astimezone(stop.zone).date():
            when = format_when(departure, None, stop.timezone, language)
            tail = _("leave %(place)s by %(when)s", place=place, when=when)
        else:
            # Counted by the hour so that Spanish can say "a la 1:15" but "a las 10:15".
            tail = ngettext(
                "leave %(place)s by %(time)s",
                "leave %(place)s by %(time)s",
                local.hour,
                place=place,
                time=format_clock(departure, stop.timezone, language),
            )
    return f"{head}; {tail}"


def documents_for(
    direction: str, crossing_document: str | None, language: str, lane: str | None = None
) -> list[str]:
    """What to carry for a crossing in `direction`, for someone crossing with
    `crossing_document` (None: not told, so every case), in `language`. Guidance, brief; the
    rules are CBP's and INM's. With the crossing's `lane`, what that lane asks of everyone."""
    told = crossing_document
    lines = []
    with force_locale(language):
        if direction == NORTHBOUND:
            if told in (None, US_PASSPORT):
                lines.append(
                    _(
                        "U.S. citizens: a U.S. passport or passport card (a SENTRI or Global "
                        "Entry card, or an enhanced driver's license, also works)."
                    )
                )
            if told in (None, SENTRI_CARD):
                lines.append(
                    _(
                        "SENTRI or Global Entry members: your SENTRI or Global Entry card. The "
                        "SENTRI lane takes only members, in a vehicle registered with SENTRI."
                    )
                )
            if told in (None, MX_PASSPORT_VISA):
                lines.append(_("Mexican citizens: a Mexican passport with a valid U.S. visa."))
            if told in (None, BORDER_CROSSING_CARD):
                lines.append(_("Mexican citizens: your Border Crossing Card (laser visa)."))
            if lane == SENTRI and told != SENTRI_CARD:
                lines.append(
                    _(
                        "This crossing takes the SENTRI lane, for members only: if you aren't "
                        "one, please tell the organizers."
                    )
                )
            if lane == READY_LANE:
                lines.append(
                    _(
                        "The Ready Lane needs a card with a chip: a passport card, SENTRI or "
                        "Global Entry card, Border Crossing Card or enhanced license (not a "
                        "passport book)."
                    )
                )
        else:
            # SENTRI members may be of either nationality: they get both lines.
            if told in (None, US_PASSPORT, SENTRI_CARD):
                lines.append(
                    _(
                        "Visitors who aren't Mexican citizens: a passport or passport card. "
                        "Going beyond the border zone, or staying more than 7 days, you also "
                        "need an FMM (tourist permit) from INM."
                    )
                )
            if told in (None, MX_PASSPORT_VISA, BORDER_CROSSING_CARD, SENTRI_CARD):
                lines.append(_("Mexican citizens: your INE voter card or Mexican passport."))
    return lines


@dataclass
class CrossingSummary:
    """A visit's crossings as an attendee reads them: one line per planned crossing, and what
    to carry for each direction the visit crosses in (planned or not)."""

    lines: list[str] = field(default_factory=list)
    documents: list[tuple[str, list[str]]] = field(default_factory=list)
    note: str = ""  # that this is guidance, and whose rules they are

    def __bool__(self) -> bool:
        return bool(self.lines or self.documents)


def crossing_summary(event: Event, crossing_document: str | None, language: str) -> CrossingSummary:
    """What an attendee crossing with `crossing_document` reads about the visit's crossings,
    in `language` (emails, the calendar)."""
    summary = CrossingSummary()
    planned = planned_crossings(event)
    summary.lines = [crossing_text(p.crossing, language) for p in planned]
    directions = [direction_between(a, b) for a, b in crossings_needed(event)]
    for direction in (NORTHBOUND, SOUTHBOUND):
        if direction not in directions:
            continue
        lanes = {p.crossing.lane for p in planned if p.direction == direction}
        lines = documents_for(direction, crossing_document, language)
        for lane in sorted(lanes):  # the lane notes, once per lane
            extra = documents_for(direction, crossing_document, language, lane)
            lines += [line for line in extra if line not in lines]
        with force_locale(language):
            summary.documents.append((str(DIRECTION_HEADINGS[direction]), lines))
    if summary.documents:
        with force_locale(language):
            summary.note = _("This is guidance only: check CBP and INM for the current rules.")
    return summary

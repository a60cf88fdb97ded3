"""The border crossings on the organizer's visit page: under each stop that is followed by one
in the other country, the crossing planned (or that none is), and the current wait at its port
and lane when wait times are on (app/events/wait_times.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from app.events.crossings import (
    LANE_LABELS,
    NORTHBOUND,
    crossing_text,
    direction_between,
    next_stop_after,
)
from app.events.models import BorderCrossing, Event, ItineraryStop
from app.events.ports import PORT_ZONE, port_named
from app.events.wait_times import (
    LaneState,
    LaneWait,
    current_waits,
    updated_today,
    wait_at,
    wait_times_enabled,
)
from app.i18n import format_clock


@dataclass
class CrossingRow:
    stop: ItineraryStop
    direction: str | None  # None: the crossing planned here no longer crosses
    crossing: BorderCrossing | None
    text: str = ""  # the crossing's line, as attendees read it
    wait: str | None = None  # "Otay Mesa, SENTRI lane: 25 min, updated 10:05 AM"

    @property
    def stale(self) -> bool:
        return self.direction is None


@dataclass
class ItineraryCrossings:
    rows: dict[int, CrossingRow] = field(default_factory=dict)  # by stop id
    waits_unavailable: bool = False  # wait times are on, but the feed can't be read now


def itinerary_crossings(event: Event, language: str, now: datetime) -> ItineraryCrossings:
    """A row for each stop followed by a border crossing, or holding a crossing that no longer
    crosses (its stops were moved or changed since). The feed is read once, only when a
    planned crossing goes north (CBP reports no other way)."""
    result = ItineraryCrossings()
    for stop in event.stops:
        following = next_stop_after(stop)
        direction = direction_between(stop, following) if following is not None else None
        crossing = stop.crossing_after
        if direction is None and crossing is None:
            continue
        text = crossing_text(crossing, language) if crossing is not None else ""
        result.rows[stop.id] = CrossingRow(stop, direction, crossing, text)
    northbound = [
        row
        for row in result.rows.values()
        if row.crossing is not None and row.direction == NORTHBOUND
    ]
    if northbound and wait_times_enabled():
        waits = current_waits()
        result.waits_unavailable = waits is None
        if waits is not None:
            for row in northbound:
                row.wait = _wait_line(row.crossing, waits, language, now)
    return result


def _wait_line(crossing: BorderCrossing, waits: dict, language: str, now: datetime) -> str | None:
    port = port_named(crossing.port)
    if port is None:
        return None
    wait: LaneWait = wait_at(port.cbp_number, crossing.lane, waits)
    names = {"port": port.name(language), "lane": LANE_LABELS.get(crossing.lane, crossing.lane)}
    if wait.state is LaneState.CLOSED:
        return _("%(port)s, %(lane)s: lanes closed", **names)
    if wait.state is LaneState.NOT_REPORTED:
        return _("%(port)s, %(lane)s: no current wait reported", **names)
    if wait.updated is None:
        return _("%(port)s, %(lane)s: %(minutes)s min", minutes=wait.delay_minutes, **names)
    updated = format_clock(updated_today(wait.updated, now), PORT_ZONE, language)
    return _(
        "%(port)s, %(lane)s: %(minutes)s min, updated %(time)s",
        minutes=wait.delay_minutes,
        time=updated,
        **names,
    )

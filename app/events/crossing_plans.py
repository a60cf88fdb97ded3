"""Planning a visit's border crossings: which port, which lane, how much time to allow.

Plain functions, as app/events/itinerary.py's: they flush but never commit, log what they change
for the `actor` they are given, and raise `CrossingRefused` (said to a person by
`crossing_refusal`). Apart from app/events/crossings.py, which the calendar and the RSVP rules
import, so that this module's services stay out of their imports.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.audit import services as audit
from app.events.crossings import (
    LANE_LABELS,
    MAX_ALLOWANCE,
    MIN_ALLOWANCE,
    direction_between,
    leave_by,
    next_stop_after,
)
from app.events.errors import EventError
from app.events.itinerary import check_itinerary_editable
from app.events.models import BorderCrossing, ItineraryStop
from app.events.ports import PORT_ZONE, Port, port_named
from app.extensions import db
from app.i18n import current_language, format_clock

if TYPE_CHECKING:
    from app.accounts.models import User


class CrossingRefused(EventError):
    """A crossing that can't be planned as asked."""


class NoBorderBetween(CrossingRefused):
    """The stop is the last one, or it and the next are not in two different countries."""


class UnknownPort(CrossingRefused):
    pass


class LaneNotOffered(CrossingRefused):
    def __init__(self, port: Port, lane: str, direction: str):
        super().__init__(f"{port.key} has no {lane} lane {direction}")
        self.port, self.lane, self.direction = port, lane, direction


class AllowanceOutOfRange(CrossingRefused):
    pass


class PortClosed(CrossingRefused):
    """The port is closed at some point between leaving and the next stop's start."""

    def __init__(self, port: Port, start: datetime, end: datetime):
        super().__init__(f"{port.key} is closed between {start} and {end}")
        self.port, self.start, self.end = port, start, end


class LeavesBeforeStopEnds(CrossingRefused):
    """The time allowed reaches back into the stop the group is leaving."""

    def __init__(self, departure: datetime, stop: ItineraryStop):
        super().__init__(f"leaving at {departure} cuts {stop.title_en} short")
        self.departure, self.stop = departure, stop


def plan_crossing(
    stop: ItineraryStop,
    port: str,
    lane: str,
    allowance_minutes: int,
    *,
    actor: User | None = None,
) -> BorderCrossing:
    """Plan (or re-plan) the crossing after `stop`, towards the next stop.

    Refused unless the two stops are in different countries, the port offers the lane in that
    direction, MIN_ALLOWANCE <= allowance <= MAX_ALLOWANCE minutes, leaving that early does not
    cut the stop short, and the port is open all the way from leaving until the next stop
    starts, on its local clock.
    """
    event = stop.event
    check_itinerary_editable(event)
    following = next_stop_after(stop)
    direction = direction_between(stop, following) if following is not None else None
    if direction is None:
        raise NoBorderBetween()
    chosen = port_named(port)
    if chosen is None:
        raise UnknownPort(port)
    if lane not in chosen.lanes_for(direction):
        raise LaneNotOffered(chosen, lane, direction)
    if not MIN_ALLOWANCE <= allowance_minutes <= MAX_ALLOWANCE:
        raise AllowanceOutOfRange(allowance_minutes)
    departure = leave_by(following, allowance_minutes)
    if departure < (stop.ends_at or stop.starts_at):
        raise LeavesBeforeStopEnds(departure, stop)
    if not chosen.open_throughout(departure, following.starts_at):
        raise PortClosed(chosen, departure, following.starts_at)

    values = {"port": port, "lane": lane, "allowance_minutes": allowance_minutes}
    crossing = stop.crossing_after
    if crossing is None:
        stop.crossing_after = BorderCrossing(**values)
        action, changed = "created", values
    else:
        action = "updated"
        changed = {key: v for key, v in values.items() if getattr(crossing, key) != v}
        for key, value in changed.items():
            setattr(crossing, key, value)
    db.session.flush()
    if changed:
        audit.log_action(actor, action, "border_crossing", event, stop.title_en, **changed)
    return stop.crossing_after


def remove_crossing(stop: ItineraryStop, *, actor: User | None = None) -> bool:
    """Remove the crossing planned after `stop`; False if there was none."""
    check_itinerary_editable(stop.event)
    if stop.crossing_after is None:
        return False
    audit.log_action(actor, "deleted", "border_crossing", stop.event, stop.title_en)
    stop.crossing_after = None  # delete-orphan: the row goes at the flush
    db.session.flush()
    return True


def crossing_refusal(error: CrossingRefused) -> str:
    """What a refused crossing says to the organizer who planned it, in their language."""
    language = current_language()
    if isinstance(error, NoBorderBetween):
        return _(
            "This stop and the next one are not in two different countries (or one has no "
            "venue): there is no border to cross between them."
        )
    if isinstance(error, UnknownPort):
        return _("Please choose a port of entry from the list.")
    if isinstance(error, LaneNotOffered):
        return _(
            "%(port)s doesn't offer a %(lane)s in this direction. Choose one of: %(lanes)s.",
            port=error.port.name(language),
            lane=LANE_LABELS.get(error.lane, error.lane),
            lanes=", ".join(
                str(LANE_LABELS[lane]) for lane in error.port.lanes_for(error.direction)
            ),
        )
    if isinstance(error, AllowanceOutOfRange):
        return _(
            "Allow between %(low)s and %(high)s minutes for the crossing.",
            low=MIN_ALLOWANCE,
            high=MAX_ALLOWANCE,
        )
    if isinstance(error, PortClosed):
        return _(
            "%(port)s is open %(hours)s (local time): a crossing from %(start)s to %(end)s "
            "falls outside its hours.",
            port=error.port.name(language),
            hours=error.port.hours,
            start=format_clock(error.start, PORT_ZONE, language),
            end=format_clock(error.end, PORT_ZONE, language),
        )
    if isinstance(error, LeavesBeforeStopEnds):
        return _(
            "With that much time allowed, the group would have to leave before this stop ends "
            "(%(time)s). Shorten the stop or the time allowed.",
            time=format_clock(error.departure, error.stop.timezone, language),
        )
    raise error

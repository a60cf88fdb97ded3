"""Wall-clock times in IANA zones: what organizers type, turned into instants and back.

Organizers think in the local time of the place ("9:00 in Tijuana"); the database stores UTC.
Twice a year that mapping is not one-to-one. In the spring gap a local time never happens
(02:30 on 2027-03-14 in Tijuana): we refuse it rather than guess. In the fall overlap a local
time happens twice (01:30 on 2027-11-07): we take the first occurrence, still on daylight time,
which is what Python gives for `fold=0` (PEP 495) and what most calendar apps do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global

# Offered first in forms; any other IANA zone is accepted too.
SUGGESTED_ZONES = (
    "America/Tijuana",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Hermosillo",
    "America/Phoenix",
    "America/Denver",
    "America/Chicago",
    "America/Monterrey",
    "America/New_York",
    "America/Cancun",
)


class TimeZoneError(ValueError):
    """A local time that cannot become an instant; the form turns it into a message."""


class UnknownZone(TimeZoneError):
    def __init__(self, name: str):
        super().__init__(f"unknown time zone {name!r}")
        self.name = name


class NonexistentLocalTime(TimeZoneError):
    """The clocks skip this local time (the spring DST gap)."""

    def __init__(self, local: datetime, zone: str, skipped_to: datetime):
        super().__init__(f"{local:%Y-%m-%d %H:%M} does not exist in {zone}")
        self.local = local
        self.zone = zone
        self.skipped_to = skipped_to  # the local time the clocks jump to


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def canonical_zone(name: str) -> str:
    """The IANA name as spelled in the database ("america/tijuana" -> "America/Tijuana").

    Only names of the tz database are accepted, not file paths or POSIX TZ strings.
    """
    found = _zones_by_folded_name().get(name.strip().casefold())
    if found is None:
        raise UnknownZone(name)
    return found


def is_known_zone(name: str) -> bool:
    try:
        canonical_zone(name)
    except UnknownZone:
        return False
    return True


def to_utc(local: datetime, zone: str) -> datetime:
    """The instant at which the clocks in `zone` show `local` (a naive datetime).

    Raises NonexistentLocalTime in a DST gap; an ambiguous time in the overlap resolves to its
    first occurrence (see the module docstring).
    """
    if local.tzinfo is not None:
        raise ValueError("to_utc() takes a naive wall-clock time")
    tz = ZoneInfo(canonical_zone(zone))
    wall = local.replace(fold=0)
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    back = instant.astimezone(tz).replace(tzinfo=None)
    if back != wall:
        raise NonexistentLocalTime(local, zone, back)
    return instant


def to_local(instant: datetime, zone: str) -> datetime:
    """The naive wall-clock time in `zone` at `instant`, as a form field shows it."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def is_ambiguous(local: datetime, zone: str) -> bool:
    """Whether `local` happens twice in `zone` (the fall DST overlap)."""
    tz = ZoneInfo(canonical_zone(zone))
    # Clocks go back in the overlap, so its first occurrence has the larger offset; in a gap
    # it is the other way round, and elsewhere both folds agree.
    return (
        local.replace(tzinfo=tz, fold=0).utcoffset() > local.replace(tzinfo=tz, fold=1).utcoffset()
    )


# In the system's zoneinfo but not zones of the tz database one could live in: "localtime" is
# this server's own setting, "Factory" and "posixrules" are placeholders.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


def browser_zone(name: str | None) -> str | None:
    """The canonical IANA zone a browser reported, or None for anything else (a reader's
    clock is a nicety: a bogus value is ignored, never an error)."""
    if not name or len(name) > 64:
        return None
    try:
        zone = canonical_zone(name)
    except UnknownZone:
        return None
    return None if zone in _NOT_PLACES else zone


@cache
def zones_by_country() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Every zone, for a select: Mexico's, the United States', then all others (links such
    as US/Pacific included). Each group lists SUGGESTED_ZONES first, the rest by name.

    Which zones belong to which country is CLDR's word (Babel's territory_zones).
    """
    territory_zones = get_global("territory_zones")
    known = available_timezones() - _NOT_PLACES

    def ordered(zones) -> tuple[str, ...]:
        suggested = [z for z in SUGGESTED_ZONES if z in zones]
        return (*suggested, *sorted(set(zones) - set(suggested)))

    mexico = ordered(set(territory_zones["MX"]) & known)
    united_states = ordered(set(territory_zones["US"]) & known)
    return mexico, united_states, ordered(known - set(mexico) - set(united_states))

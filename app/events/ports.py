"""The ports of entry a visit in the CaliBaja region may cross at: a small table the app ships.

Names in both languages, the city on each side, the lanes each port offers, its hours and its
number in CBP's border wait times feed (app/events/wait_times.py). Hours and lanes are
approximate and change: organizers should check CBP's port pages before a visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

GENERAL = "general"
READY_LANE = "ready_lane"
SENTRI = "sentri"
PEDESTRIAN = "pedestrian"
LANES = (GENERAL, READY_LANE, SENTRI, PEDESTRIAN)

# Ready Lane and SENTRI are CBP programs for the way into the US; entering Mexico, a car takes
# the general lanes and a walker the pedestrian one.
SOUTHBOUND_LANES = (GENERAL, PEDESTRIAN)

# The hours below are the ports' wall-clock times; both sides keep Pacific time.
PORT_ZONE = "America/Los_Angeles"
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Port:
    key: str
    name_en: str
    name_es: str
    us_city: str
    mx_city: str
    lanes: tuple[str, ...]
    cbp_number: str  # its port_number in CBP's feed
    # Open from `opens` to `closes`, in minutes after local midnight (1440: midnight).
    opens: int = 0
    closes: int = MINUTES_PER_DAY

    def name(self, language: str) -> str:
        return self.name_es if language == "es" else self.name_en

    @property
    def always_open(self) -> bool:
        return self.opens == 0 and self.closes == MINUTES_PER_DAY

    def lanes_for(self, direction: str) -> tuple[str, ...]:
        """The lanes a crossing in `direction` ("northbound", "southbound") may take here."""
        if direction == "southbound":
            return tuple(lane for lane in self.lanes if lane in SOUTHBOUND_LANES)
        return self.lanes

    def open_throughout(self, start: datetime, end: datetime) -> bool:
        """Whether the port is open for the whole of [start, end] (aware datetimes)."""
        if self.always_open:
            return True
        if end - start >= timedelta(days=1):
            return False
        zone = ZoneInfo(PORT_ZONE)
        first, last = start.astimezone(zone), end.astimezone(zone)
        if first.date() != last.date():
            # Across midnight: only a port open until midnight and from midnight would do.
            return False
        return self.opens <= _minutes(first) and _minutes(last) <= self.closes

    @property
    def hours(self) -> str:
        """Its opening hours as a 24-hour range, e.g. "05:00–23:00"."""
        return f"{_clock(self.opens)}–{_clock(self.closes)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _hour(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


# Approximate hours and lanes as CBP lists them (passenger traffic); check CBP before relying
# on them. CBX is for ticketed passengers of Tijuana's airport, on foot.
PORTS = {
    port.key: port
    for port in (
        Port(
            "san_ysidro",
            "San Ysidro",
            "San Ysidro",
            "San Ysidro, CA",
            "Tijuana, BC",
            (GENERAL, READY_LANE, SENTRI, PEDESTRIAN),
            "250401",
        ),
        Port(
            "otay_mesa",
            "Otay Mesa",
            "Otay Mesa",
            "Otay Mesa, CA",
            "Tijuana (Mesa de Otay), BC",
            (GENERAL, READY_LANE, SENTRI, PEDESTRIAN),
            "250601",
        ),
        Port(
            "cbx",
            "Cross Border Xpress (CBX)",
            "Cross Border Xpress (CBX)",
            "San Diego, CA",
            "Tijuana International Airport, BC",
            (PEDESTRIAN,),
            "250609",
        ),
        Port(
            "tecate",
            "Tecate",
            "Tecate",
            "Tecate, CA",
            "Tecate, BC",
            (GENERAL, PEDESTRIAN),
            "250501",
            opens=_hour("05:00"),
            closes=_hour("23:00"),
        ),
        Port(
            "calexico_west",
            "Calexico West",
            "Calexico Oeste (Garita Centro)",
            "Calexico, CA",
            "Mexicali, BC",
            (GENERAL, READY_LANE, SENTRI, PEDESTRIAN),
            "250301",
        ),
        Port(
            "calexico_east",
            "Calexico East",
            "Calexico Este (Garita Nuevo Mexicali)",
            "Calexico, CA",
            "Mexicali, BC",
            (GENERAL, READY_LANE, SENTRI),
            "250302",
            opens=_hour("03:00"),
            closes=MINUTES_PER_DAY,
        ),
        Port(
            "andrade",
            "Andrade",
            "Andrade (Los Algodones)",
            "Andrade, CA",
            "Los Algodones, BC",
            (GENERAL, PEDESTRIAN),
            "250201",
            opens=_hour("06:00"),
            closes=_hour("22:00"),
        ),
    )
}


def port_named(key: str) -> Port | None:
    return PORTS.get(key)

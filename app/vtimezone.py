"""VTIMEZONEs in the shape every calendar reads, derived from the zone database.

Outlook reads a VTIMEZONE as one STANDARD and one DAYLIGHT observance, each a yearly RRULE
(BYMONTH, BYDAY) at the local time of the change, and a zone without DST as a single STANDARD
(MS-OXCICAL §2.1.3.1.1.19). Given RDATE lists or several STANDARDs it may pick another zone and
move meetings by an hour. So rather than list each change, we walk the changes zoneinfo reports
around the events' dates and recognise the yearly rule behind them.

When a zone's rules changed within the events' dates (Mexico City gave up DST in October 2022),
each rule that applied gets its own observances, the older ones ending with UNTIL; every event
then still converts by the rule of its own date.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
LAST = -1  # BYDAY=-1SU: the last Sunday of the month


@dataclass(frozen=True)
class Change:
    """One change of a zone's offset, DST flag or abbreviation, as zoneinfo reports it."""

    at: datetime  # the instant, in UTC
    offset_from: timedelta
    offset_to: timedelta
    is_dst: bool
    name: str

    @property
    def onset(self) -> datetime:
        """The local wall time when it happens, read on the clocks before it (DTSTART)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    @property
    def rule(self) -> tuple:
        """What a yearly rule repeats: all of it but the date, which BYDAY describes."""
        onset = self.onset
        return (
            onset.month,
            onset.weekday(),
            onset.time(),
            self.offset_from,
            self.offset_to,
            self.is_dst,
            self.name,
        )

    @property
    def ordinals(self) -> frozenset[int]:
        """Which of its month's weekdays it falls on: 2 for the 2nd Sunday, and LAST too when
        no later one follows in the month."""
        onset = self.onset
        days_in_month = calendar.monthrange(onset.year, onset.month)[1]
        found = {(onset.day - 1) // 7 + 1}
        if onset.day + 7 > days_in_month:
            found.add(LAST)
        return frozenset(found)


@dataclass(frozen=True)
class Year:
    """A zone's changes in one (UTC) year, or, when there are none, the offset it keeps."""

    year: int
    changes: tuple[Change, ...]
    offset: timedelta
    name: str

    @property
    def pattern(self) -> tuple:
        if self.changes:
            return tuple(change.rule for change in self.changes)
        return ("fixed", self.offset, self.name)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset(), local.dst(), local.tzname()


@lru_cache(maxsize=1024)
def zone_year(tzid: str, year: int) -> Year:
    """The changes of `tzid` during `year`, found by walking it a day at a time and narrowing
    each change down to the second. (Two changes within one day would cancel out unseen; no
    zone has had such rules.)"""
    zone = ZoneInfo(tzid)
    start = datetime(year, 1, 1, tzinfo=UTC)
    days = (datetime(year + 1, 1, 1, tzinfo=UTC) - start).days
    changes = []
    before = _state(zone, start)
    for day in range(1, days + 1):
        after = _state(zone, start + timedelta(days=day))
        if after == before:
            continue
        low, high = 0, 86_400  # seconds into the day: `before` holds at low, not at high
        day_start = start + timedelta(days=day - 1)
        while high - low > 1:
            middle = (low + high) // 2
            if _state(zone, day_start + timedelta(seconds=middle)) == before:
                low = middle
            else:
                high = middle
        offset_to, dst, name = _state(zone, day_start + timedelta(seconds=high))
        changes.append(
            Change(day_start + timedelta(seconds=high), before[0], offset_to, bool(dst), name)
        )
        before = after
    offset, _dst, name = _state(zone, start)
    return Year(year, tuple(changes), offset, name)


@dataclass
class Period:
    """Consecutive years that follow one set of yearly rules (or keep one fixed offset)."""

    years: list[Year]
    # For each change of the year, the weekday ordinals (BYDAY) that fit it in every year.
    ordinals: list[frozenset[int]]

    @classmethod
    def starting(cls, year: Year) -> Period:
        return cls([year], [change.ordinals for change in year.changes])

    def extend(self, year: Year) -> bool:
        """Take `year` in if the same rules describe it; False if a new period starts."""
        if year.pattern != self.years[0].pattern:
            return False
        common = [
            ours & change.ordinals for ours, change in zip(self.ordinals, year.changes, strict=True)
        ]
        if not all(common):
            return False
        self.years.append(year)
        self.ordinals = common
        return True

    def onsets(self) -> list[datetime]:
        """The instants from which this period's rules decide the offset."""
        first = self.years[0]
        if not first.changes:
            return [_new_year(first)]
        return [change.at for year in self.years for change in year.changes]


def _new_year(year: Year) -> datetime:
    """The instant of midnight, 1 January, local time: where a fixed period's STANDARD starts."""
    return datetime(year.year, 1, 1, tzinfo=UTC) - year.offset


def _byday(ordinals: frozenset[int], weekday: int) -> str:
    """BYDAY: "2SU" when it is the 2nd Sunday every year, "-1SU" when the last one every year.
    Both may fit the years seen (the 25th to the 28th); the last one is then the usual rule."""
    positive = sorted(o for o in ordinals if o > 0)
    ordinal = LAST if LAST in ordinals and (not positive or positive[0] >= 4) else positive[0]
    return f"{ordinal}{WEEKDAYS[weekday]}"


def _observances(period: Period, open_ended: bool) -> list[TimezoneStandard | TimezoneDaylight]:
    first = period.years[0]
    if not first.changes:
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(first.year, 1, 1))
        standard.add("tzoffsetfrom", first.offset)
        standard.add("tzoffsetto", first.offset)
        standard.add("tzname", first.name)
        return [standard]
    found = []
    for slot, change in enumerate(first.changes):
        observance = TimezoneDaylight() if change.is_dst else TimezoneStandard()
        observance.add("dtstart", change.onset)
        if len(period.years) > 1:
            rule = {
                "freq": "yearly",
                "bymonth": change.onset.month,
                "byday": _byday(period.ordinals[slot], change.onset.weekday()),
            }
            if not open_ended:
                last = period.years[-1].changes[slot]
                # UNTIL is in UTC (RFC 5545), but some readers (dateutil, under icalendar and
                # vobject) compare it with the local onset. The later of the two takes the
                # last change in either way, and still ends long before the next year's.
                rule["until"] = max(last.at, last.onset.replace(tzinfo=UTC))
            observance.add("rrule", rule)
        observance.add("tzoffsetfrom", change.offset_from)
        observance.add("tzoffsetto", change.offset_to)
        observance.add("tzname", change.name)
        found.append(observance)
    # STANDARD first, as Outlook and most zone files write them.
    return sorted(found, key=lambda o: o.name != "STANDARD")


def vtimezone(tzid: str, moments: Iterable[datetime]) -> Timezone:
    """The VTIMEZONE for `tzid` that places each of `moments` (aware datetimes) right.

    Years from one before the first moment to one after the last are read, so each rule is
    seen more than once; only the periods whose rules decide some moment are written.
    """
    zone = ZoneInfo(tzid)
    moments = sorted(m.astimezone(UTC) for m in moments)
    if not moments:
        raise ValueError("a VTIMEZONE needs the times it is for")
    first_year = moments[0].astimezone(zone).year - 1
    last_year = moments[-1].astimezone(zone).year + 1

    periods: list[Period] = []
    for year in range(first_year, last_year + 1):
        found = zone_year(tzid, year)
        if not (periods and periods[-1].extend(found)):
            periods.append(Period.starting(found))

    # The period in force at a moment is the one with the latest onset at or before it; the
    # first year read starts with an onset (a change or 1 January), so every moment has one.
    onsets = sorted((at, index) for index, period in enumerate(periods) for at in period.onsets())
    instants = [at for at, _index in onsets]
    needed = {onsets[bisect_right(instants, moment) - 1][1] for moment in moments}
    chosen = range(min(needed), max(needed) + 1)

    component = Timezone()
    component.add("tzid", tzid)
    for index in chosen:
        component.subcomponents += _observances(periods[index], index == len(periods) - 1)
    return component

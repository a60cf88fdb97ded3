"""Calendar feeds: a 2,000-event feed through the whole app against bare icalendar, and the
304 Not Modified answer against a bare Flask endpoint.

Run with `make bench` or `.venv/bin/python -m bench feeds`. The database is a throwaway SQLite
file; nothing is served on a network, requests go through Flask's test client.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from icalendar import Calendar
from icalendar import Event as VEvent

from app import create_app
from app.events.models import (
    Event,
    EventKind,
    EventStatus,
    ItineraryStop,
    Venue,
    Visibility,
)
from app.extensions import db
from bench.report import machine, median_seconds, write_section
from config import TestingConfig

EVENTS = 2000
FEED_RUNS = 7
CONDITIONAL_RUNS = 300
ZONES = ("America/Tijuana", "America/Los_Angeles", "America/Mexico_City")
KINDS = tuple(EventKind)


def _add_events(count: int) -> None:
    """`count` public events over the next two years (across DST changes), in three zones,
    with accents in their text; every tenth is a visit with three stops, every twentieth is
    cancelled."""
    venues = [
        Venue(
            name=f"Sede {n} — Tecnológico",
            address=f"Calzada del Tecnológico {n}",
            city="Tijuana" if n % 2 else "San Diego",
            region="BC" if n % 2 else "CA",
            country="MX" if n % 2 else "US",
        )
        for n in range(40)
    ]
    db.session.add_all(venues)
    today = datetime.now(UTC).date()
    for n in range(count):
        zone = ZoneInfo(ZONES[n % len(ZONES)])
        day = today + timedelta(days=1 + n * 730 // count)
        starts = datetime(day.year, day.month, day.day, 9 + n % 8, tzinfo=zone)
        kind = EventKind.VISIT if n % 10 == 0 else KINDS[n % 2]
        event = Event(
            slug=f"event-{n}",
            kind=kind,
            status=EventStatus.CANCELLED if n % 20 == 7 else EventStatus.PUBLISHED,
            visibility=Visibility.PUBLIC,
            title_en=f"Binational meeting {n}",
            title_es=f"Reunión binacional {n} — año {day.year}",
            description_en="Agenda: border wait times, trade, and the new crossing.\n\nBring ID.",
            description_es=(
                "Agenda: tiempos de espera, comercio y el nuevo cruce.\n\nTraiga su identificación."
            ),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            timezone=zone.key,
            venue=venues[n % len(venues)],
        )
        if kind is EventKind.VISIT:
            event.stops = [
                ItineraryStop(
                    position=i,
                    title_en=f"Stop {i}",
                    title_es=f"Parada {i}",
                    starts_at=starts + timedelta(minutes=40 * i),
                    ends_at=starts + timedelta(minutes=40 * i + 30),
                    timezone=zone.key,
                    venue=venues[(n + i) % len(venues)],
                )
                for i in range(3)
            ]
        db.session.add(event)
    db.session.commit()


def _bare_icalendar(rows: list[tuple]) -> bytes:
    """The same events as minimal VEVENTs (UID, DTSTAMP, start, end, summary) with icalendar
    alone: the floor any feed built on icalendar can reach."""
    stamp = datetime.now(UTC)
    cal = Calendar()
    cal.add("prodid", "-//bench//EN")
    cal.add("version", "2.0")
    for uid, starts, ends, zone, title in rows:
        vevent = VEvent()
        vevent.add("uid", uid)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", starts.astimezone(ZoneInfo(zone)))
        vevent.add("dtend", ends.astimezone(ZoneInfo(zone)))
        vevent.add("summary", title)
        cal.add_component(vevent)
    return cal.to_ical()


def _bare_flask_client():
    bare = Flask("bare")

    @bare.get("/ping")
    def ping():
        return "ok"

    return bare.test_client()


def measure(workdir: Path) -> dict[str, float | int]:
    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{workdir / 'bench.sqlite3'}"

    app = create_app(BenchConfig)
    with app.app_context():
        db.create_all()
        _add_events(EVENTS)
        rows = db.session.execute(
            db.select(Event.uid, Event.starts_at, Event.ends_at, Event.timezone, Event.title_en)
        ).all()
    client = app.test_client()

    feed = client.get("/calendar.ics")
    assert feed.status_code == 200 and feed.data.count(b"BEGIN:VEVENT") == EVENTS
    etag = feed.headers["ETag"]
    not_modified = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304

    bare_client = _bare_flask_client()
    return {
        "events": EVENTS,
        "feed_bytes": len(feed.data),
        "feed_lines": feed.data.count(b"\r\n"),
        "bare_lines": _bare_icalendar(rows).count(b"\r\n"),
        "feed": median_seconds(lambda: client.get("/calendar.ics"), FEED_RUNS),
        "feed_es": median_seconds(lambda: client.get("/calendar.ics?lang=es"), FEED_RUNS),
        "bare_icalendar": median_seconds(lambda: _bare_icalendar(rows), FEED_RUNS),
        "not_modified": median_seconds(
            lambda: client.get("/calendar.ics", headers={"If-None-Match": etag}),
            CONDITIONAL_RUNS,
        ),
        "bare_flask": median_seconds(lambda: bare_client.get("/ping"), CONDITIONAL_RUNS),
    }


def report(results: dict[str, float | int]) -> str:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.1f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"

    def versus(name: str, baseline: str, label: str) -> str:
        return f"{results[name] / results[baseline]:.2f}× {label}"

    rows = [
        ("full feed, English (query, load, build, serialize, HTTP)", "feed", "bare_icalendar"),
        ("full feed, Spanish (`?lang=es`)", "feed_es", "bare_icalendar"),
        ("bare icalendar, minimal VEVENTs", "bare_icalendar", None),
        (
            "`304 Not Modified` (one aggregate query, no calendar built)",
            "not_modified",
            "bare_flask",
        ),
        ("bare Flask endpoint", "bare_flask", None),
    ]
    labels = {"bare_icalendar": "bare icalendar", "bare_flask": "bare Flask"}
    table = "\n".join(
        f"| {label} | {ms(results[name])} | "
        f"{versus(name, baseline, labels[baseline]) if baseline else '1×'} |"
        for label, name, baseline in rows
    )
    return f"""\
## Calendar feeds

`GET /calendar.ics` with {results["events"]:,} public events (three zones, every tenth a visit
with three stops, {results["feed_bytes"] / 1024:.0f} KiB), through the whole app with Flask's test
client and a SQLite file, against the same events serialized as minimal VEVENTs (UID, DTSTAMP,
DTSTART, DTEND, SUMMARY) by bare icalendar from rows already in memory; and the conditional
request answered `304 Not Modified` against a bare Flask endpoint returning "ok". Medians of
{FEED_RUNS} runs (feeds) and {CONDITIONAL_RUNS} runs (small responses).

| measurement | time | ratio |
| --- | --- | --- |
{table}

The feed writes {results["feed_lines"] / results["events"]:.0f} lines per event (every property
calendars show, descriptions folded over several lines) against
{results["bare_lines"] / results["events"]:.0f} for the minimal VEVENTs, and icalendar's cost is
per line (it folds each one character by character), so most of the first ratio is the content
itself. The 304 answer runs one aggregate (count and latest change of the selected events) and
the app's usual per-request work (security headers, session, locale).

Machine: {machine()}; icalendar {version("icalendar")}, Flask {version("flask")}, SQLAlchemy
{version("sqlalchemy")}. Measured {datetime.now(UTC):%Y-%m-%d}. Command: `make bench` (or
`.venv/bin/python -m bench feeds`).
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        results = measure(Path(workdir))
    markdown = report(results)
    write_section("feeds", markdown)
    print(markdown)

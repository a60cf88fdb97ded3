"""Attendee exports: 100,000 RSVPs as CSV and as Excel through the whole app, against the same
rows written by bare `csv` and bare openpyxl (write-only), and against loading every RSVP first.

Run with `make bench` or `.venv/bin/python -m bench exports`. The database is a throwaway SQLite
file. Every measurement runs in a fresh interpreter (`python -m bench.exports measure …`), so
its peak memory (`ru_maxrss`) belongs to that export alone: we report how far the peak rose
above the process's size just before the export started, and, in a separate run, the peak of
Python allocations seen by tracemalloc.
"""

from __future__ import annotations

import csv
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from bench.report import machine, write_section

RSVPS = 100_000
RUNS = 3  # timed runs per scenario, each in its own process; the median is reported
SLUG = "bench-export"
COLUMNS = (
    "name, email, organization, job_title, phone, status, guests, language, needs, "
    "share_with_host, checked_in_at, created_at"
)

SCENARIOS = {
    "app_csv": "`attendees.csv` through the app (streamed)",
    "bare_csv": "bare `csv.writer`, same rows from `sqlite3`",
    "app_xlsx": "`attendees.xlsx` through the app (write-only, temp file)",
    "bare_xlsx": "bare openpyxl write-only, same rows from `sqlite3`",
    "naive_csv": "for contrast: every RSVP loaded as an ORM object, then `csv`",
}


def _config(db_path: Path):
    from config import TestingConfig

    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_path}"
        LOGIN_DISABLED = True  # the bench measures the export, not sign-in
        RATELIMIT_ENABLED = False

    return BenchConfig


def build_database(db_path: Path) -> None:
    """One event with RSVPS answers: accents, formula-like text, needs, half checked in."""
    from sqlalchemy import insert

    from app import create_app
    from app.events.models import Event, EventKind, EventStatus, Venue
    from app.extensions import db
    from app.rsvps.models import Rsvp, RsvpStatus

    app = create_app(_config(db_path))
    with app.app_context():
        db.create_all()
        starts = datetime(2026, 9, 14, 16, tzinfo=UTC)
        event = Event(
            slug=SLUG,
            kind=EventKind.STAKEHOLDER_MEETING,
            status=EventStatus.PUBLISHED,
            title_en="Binational trade forum",
            timezone="America/Tijuana",
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
            venue=Venue(name="Centro de Convenciones", city="Tijuana", country="MX"),
        )
        db.session.add(event)
        db.session.commit()
        statuses = (RsvpStatus.CONFIRMED,) * 8 + (RsvpStatus.DECLINED, RsvpStatus.CANCELLED)
        for start in range(0, RSVPS, 10_000):
            rows = []
            for n in range(start, min(start + 10_000, RSVPS)):
                created = starts - timedelta(days=30, seconds=-n * 20)
                rows.append(
                    {
                        "event_id": event.id,
                        "status": statuses[n % len(statuses)],
                        "name": f"María José García López {n}",
                        "email": f"persona{n}@empresa-binacional.mx",
                        "email_key": f"persona{n}@empresa-binacional.mx",
                        "organization": "=Cámara de Comercio" if n % 50 == 0 else "Cámara Ñandú",
                        "job_title": "Directora de Operaciones",
                        "phone": "+52 664 123 4567",
                        "language": "es" if n % 2 else "en",
                        "guests": n % 3,
                        "needs": "Vegetariana; acceso sin escalones" if n % 7 == 0 else None,
                        "share_with_host": n % 4 != 0,
                        "checked_in_at": starts + timedelta(seconds=n % 3600) if n % 2 else None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            db.session.execute(insert(Rsvp), rows)
            db.session.commit()
        db.engine.dispose()


# --- Scenarios: each returns the number of bytes written. ---------------------------------


def _app_download(db_path: Path, path: str) -> Callable[[], int]:
    from app import create_app

    app = create_app(_config(db_path))
    client = app.test_client()
    client.get(f"/organizer/events/{SLUG}/attendees.csv?q=nobody")  # warm: imports, SQL cache

    def download() -> int:
        response = client.get(f"/organizer/events/{SLUG}/{path}", buffered=False)
        assert response.status_code == 200, response.status
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        return size

    return download


def _sqlite_rows(db_path: Path):
    connection = sqlite3.connect(db_path)
    return connection.execute(f"SELECT {COLUMNS} FROM rsvps ORDER BY created_at, id")


def _bare_csv(db_path: Path, out: Path) -> Callable[[], int]:
    def write() -> int:
        with out.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(COLUMNS.split(", "))
            writer.writerows(_sqlite_rows(db_path))
        return out.stat().st_size

    return write


def _bare_xlsx(db_path: Path, out: Path) -> Callable[[], int]:
    from openpyxl import Workbook

    def write() -> int:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Attendees")
        sheet.append(COLUMNS.split(", "))
        for row in _sqlite_rows(db_path):
            sheet.append(row)
        workbook.save(out)
        return out.stat().st_size

    return write


def _naive_csv(db_path: Path, out: Path) -> Callable[[], int]:
    from app import create_app
    from app.extensions import db
    from app.rsvps.models import Rsvp

    app = create_app(_config(db_path))

    def write() -> int:
        with app.app_context():
            rsvps = db.session.scalars(db.select(Rsvp).order_by(Rsvp.created_at, Rsvp.id)).all()
            with out.open("w", encoding="utf-8-sig", newline="") as file:
                writer = csv.writer(file)
                for r in rsvps:
                    writer.writerow([r.name, r.email, r.organization, r.job_title, r.phone])
        return out.stat().st_size

    return write


def _scenario(name: str, db_path: Path, out: Path) -> Callable[[], int]:
    return {
        "app_csv": lambda: _app_download(db_path, "attendees.csv"),
        "app_xlsx": lambda: _app_download(db_path, "attendees.xlsx"),
        "bare_csv": lambda: _bare_csv(db_path, out),
        "bare_xlsx": lambda: _bare_xlsx(db_path, out.with_suffix(".xlsx")),
        "naive_csv": lambda: _naive_csv(db_path, out),
    }[name]()


def _proc_status_kib(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status (Linux), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Start the peak-RSS count afresh (Linux: writing 5 to clear_refs resets VmHWM), so the
    peak belongs to the export and not to the imports before it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _lifetime_peak_kib() -> int:
    """Elsewhere than Linux: the lifetime peak, which may hide a small export behind imports."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_once(name: str, db_path: Path, trace: bool) -> dict:
    """In this process: prepare the scenario, then run it once and measure."""
    action = _scenario(name, db_path, db_path.with_name(f"out-{name}.csv"))
    precise = _reset_peak_rss() and _proc_status_kib("VmRSS") is not None
    before_kib = _proc_status_kib("VmRSS") if precise else _lifetime_peak_kib()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    size = action()
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    return {
        "seconds": seconds,
        "bytes": size,
        "rss_growth_kib": max(
            (_proc_status_kib("VmHWM") if precise else _lifetime_peak_kib()) - before_kib, 0
        ),
        "traced_peak": traced_peak,
    }


def _run(name: str, db_path: Path, trace: bool = False) -> dict:
    args = [sys.executable, "-m", "bench.exports", "measure", name, str(db_path)]
    if trace:
        args.append("--trace")
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(workdir: Path) -> dict[str, dict]:
    db_path = workdir / "bench.sqlite3"
    build_database(db_path)
    results = {}
    for name in SCENARIOS:
        runs = [_run(name, db_path) for _ in range(RUNS)]
        traced = _run(name, db_path, trace=True)
        results[name] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "bytes": runs[0]["bytes"],
            "rss_growth_kib": max(r["rss_growth_kib"] for r in runs),
            "traced_peak": traced["traced_peak"],
        }
        print(f"  {name}: {results[name]}", file=sys.stderr)
    return results


def report(results: dict[str, dict]) -> str:
    from app.organizer.exports import BATCH, CSV_CHUNK

    def mib(value: float) -> str:
        return f"{value / 1024 / 1024:.1f} MiB"

    def row(name: str, baseline: str | None) -> str:
        r = results[name]
        cells = [
            SCENARIOS[name],
            f"{r['seconds']:.2f} s",
            mib(r["rss_growth_kib"] * 1024),
            mib(r["traced_peak"]),
            mib(r["bytes"]),
        ]
        if baseline:
            b = results[baseline]
            cells.append(
                f"{r['seconds'] / b['seconds']:.2f}× time, "
                f"{r['traced_peak'] / b['traced_peak']:.1f}× traced memory"
            )
        else:
            cells.append("1×")
        return "| " + " | ".join(cells) + " |"

    table = "\n".join(
        [
            row("app_csv", "bare_csv"),
            row("bare_csv", None),
            row("app_xlsx", "bare_xlsx"),
            row("bare_xlsx", None),
            row("naive_csv", "bare_csv"),
        ]
    )
    return f"""\
## Attendee exports

{RSVPS:,} RSVPs of one event in a SQLite file (accents, some formula-like cells, needs, half
checked in). The app's exports go through the whole stack (Flask's test client, the filter
query, labels, time zones, formula neutralization; the body read chunk by chunk as a server
would); the bare baselines write the same twelve columns straight from a `sqlite3` cursor with
no formatting. Each run is a fresh process: time is the median of {RUNS} runs; *RSS growth* is
how far the process's peak resident size rose during the export (SQLite's page cache and
openpyxl's buffers included); *traced peak* is the peak of Python allocations (tracemalloc,
separate run). The "naive" row loads every RSVP as an ORM object before writing five columns,
to show what streaming avoids.

| export | time | RSS growth | traced peak | output | vs bare |
| --- | --- | --- | --- | --- | --- |
{table}

Memory stays flat as the list grows: the CSV is fetched {BATCH:,} rows at a time
(`yield_per`) and sent in chunks of {CSV_CHUNK // 1024} Ki characters; the workbook is written
by openpyxl's write-only mode, which keeps rows in a temporary file, and that file is streamed
back. The time ratio is the price of real content: translated labels, local times, neutralized
cells, the Excel styles for dates, header and text-that-looks-like-a-formula.

Machine: {machine()}; SQLAlchemy {version("sqlalchemy")}, openpyxl {version("openpyxl")},
Flask {version("flask")}. Measured {datetime.now(UTC):%Y-%m-%d}. Command: `make bench` (or
`.venv/bin/python -m bench exports`).
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        results = measure(Path(workdir))
    markdown = report(results)
    write_section("exports", markdown)
    print(markdown)


if __name__ == "__main__":
    # `python -m bench.exports measure NAME DB_PATH [--trace]`: one measurement, as JSON.
    if sys.argv[1:2] == ["measure"]:
        result = measure_once(sys.argv[2], Path(sys.argv[3]), trace="--trace" in sys.argv)
        print(json.dumps(result))
    else:
        main()

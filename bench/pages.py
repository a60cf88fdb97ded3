"""Pages under gunicorn against a bare Flask endpoint served the same way, RSVP POST throughput
on SQLite and PostgreSQL (CSRF included), RSVP latency with a slow SMTP server behind the mail
worker, and SQL queries per page as the data grows. Needs `wrk` (Debian package)."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 2 * (os.cpu_count() or 1) + 1
DURATION = os.environ.get("BENCH_SECONDS", "10")
CONNECTIONS = "16"


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def row(self, name: str, floor: Load | None = None) -> str:
        ratio = f"{self.requests_per_second / floor.requests_per_second:.2f}" if floor else "—"
        return (
            f"| {name} | {self.requests_per_second:,.0f} | {self.p50_ms:.1f} | "
            f"{self.p99_ms:.1f} | {ratio} | {self.errors} |"
        )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, script: Path | None = None) -> Load:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(rps, _ms(*p50.groups()), _ms(*p99.groups()), int(errors.group(1)) if errors else 0)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(module: str, env: dict):
    port = _free_port()
    process = subprocess.Popen(
        # `--config /dev/null`: not the production gunicorn.conf.py, whose access log would
        # cost more than the pages.
        [
            str(BIN / "gunicorn"),
            "--config",
            "/dev/null",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            module,
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def app_env(database_url: str, **extra) -> dict:
    return {
        **os.environ,
        "CONVOCA_ENV": "production",
        "SECRET_KEY": "bench-not-secret-but-long-enough",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "0",  # measuring throughput, not the limiter
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def prepare_database(database_url: str, extra_events: int) -> str:
    """Schema, the demo calendar and `extra_events` more public events; returns an open
    event's slug for RSVPs."""
    from app import create_app
    from app.demo import seed_demo
    from app.events.models import Event, EventKind, EventStatus
    from app.extensions import db
    from config import ProductionConfig

    class BenchConfig(ProductionConfig):
        SECRET_KEY = "bench-not-secret-but-long-enough"
        SQLALCHEMY_DATABASE_URI = database_url

        @classmethod
        def check(cls) -> None:
            return None

    app = create_app(BenchConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo(date.today())
        start = datetime.now(UTC) + timedelta(days=3)
        for n in range(extra_events):
            db.session.add(
                Event(
                    slug=f"bench-{n}",
                    kind=EventKind.STAKEHOLDER_MEETING,
                    status=EventStatus.PUBLISHED,
                    title_en=f"Bench meeting {n}",
                    timezone="America/Tijuana",
                    starts_at=start + timedelta(hours=n),
                    ends_at=start + timedelta(hours=n + 1),
                )
            )
        db.session.commit()
        db.engine.dispose()
    return "bench-0"


RSVP_SCRIPT = """
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
counter = 0
request = function()
  counter = counter + 1
  local body = "csrf_token={token}&name=Bench+Person&organization=SDSU&response=yes"
    .. "&language=en&email=bench-" .. tid .. "-" .. counter .. "%40example.com"
  return wrk.format("POST", "{path}", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "{cookie}",
  }}, body)
end
"""


def rsvp_script(base_url: str, slug: str, folder: Path) -> Path:
    """A wrk script posting real RSVPs with a valid session cookie and CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/events/{slug}").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    script = folder / "rsvp.lua"
    script.write_text(RSVP_SCRIPT.format(token=token, path=f"/events/{slug}/rsvp", cookie=cookie))
    return script


@contextlib.contextmanager
def slow_smtp(delay: float):
    """An SMTP server that takes `delay` seconds to accept each message."""
    from aiosmtpd.controller import Controller

    class Slow:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(delay)
            return "250 accepted, slowly"

    controller = Controller(Slow(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def query_counts(events: int) -> dict[str, int]:
    """SQL statements run to render / and an event page with `events` events in the database."""
    from sqlalchemy import event as sa_event

    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/q.sqlite3"
        prepare_database(url, events)

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url

        app = create_app(Config)
        counts = {}
        with app.app_context():
            statements = []
            sa_event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
            client = app.test_client()
            for name, path in [
                ("/", "/"),
                ("event page", "/events/ambassador-calibaja-visit"),
                ("feed", "/calendar.ics"),
            ]:
                statements.clear()
                assert client.get(path).status_code == 200, path
                counts[name] = len(statements)
            db.engine.dispose()
        return counts


def start_postgres() -> str | None:
    try:
        url = subprocess.run(
            [str(ROOT / "scripts" / "pg-cluster.sh"), "start"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        print(f"PostgreSQL unavailable, skipping: {error}")
        return None
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS convoca_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE convoca_bench"))
    admin.dispose()
    return make_url(url).set(database="convoca_bench").render_as_string(hide_password=False)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (make bench does)")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        sqlite_url = f"sqlite:///{folder}/bench.sqlite3"
        slug = prepare_database(sqlite_url, extra_events=40)
        with gunicorn("bench.bare_app:app", app_env(sqlite_url)) as bare_url:
            floor = wrk(bare_url + "/")
        rows.append(floor.row("bare Flask endpoint (the floor)", floor))
        with gunicorn("wsgi:app", app_env(sqlite_url)) as url:
            rows.append(wrk(url + "/").row("`/` (upcoming events, 45 listed)", floor))
            rows.append(wrk(url + f"/events/{slug}").row("event page", floor))
            rows.append(
                wrk(url + "/events/ambassador-calibaja-visit").row("event page (visit)", floor)
            )
            sqlite_rsvp = wrk(url + f"/events/{slug}/rsvp", rsvp_script(url, slug, folder))
            rows.append(sqlite_rsvp.row("RSVP POST, SQLite (CSRF checked)", floor))

        # The same RSVPs while a mail worker delivers to an SMTP server taking 1 s a message.
        prepare_database(sqlite_url, extra_events=40)
        with slow_smtp(1.0) as smtp_port, gunicorn("wsgi:app", app_env(sqlite_url)) as url:
            worker = subprocess.Popen(
                [str(BIN / "flask"), "--app", "wsgi", "send-mail", "--loop"],
                cwd=ROOT,
                env=app_env(sqlite_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port)),
                stdout=subprocess.DEVNULL,
            )
            try:
                slow = wrk(url + f"/events/{slug}/rsvp", rsvp_script(url, slug, folder))
            finally:
                worker.terminate()
                worker.wait(timeout=30)
        rows.append(slow.row("RSVP POST, SQLite, mail worker on a 1 s/message SMTP", floor))

        postgres_url = start_postgres()
        if postgres_url:
            prepare_database(postgres_url, extra_events=40)
            with gunicorn("wsgi:app", app_env(postgres_url)) as url:
                rows.append(wrk(url + "/").row("`/`, PostgreSQL", floor))
                pg_rsvp = wrk(url + f"/events/{slug}/rsvp", rsvp_script(url, slug, folder))
                rows.append(pg_rsvp.row("RSVP POST, PostgreSQL (CSRF checked)", floor))

    small, large = query_counts(10), query_counts(1000)
    query_rows = [f"| {name} | {small[name]} | {large[name]} |" for name in small]

    markdown = f"""## Pages, RSVPs and queries

Machine: {machine()}. Command: `make bench` (`python -m bench pages`). gunicorn with
{WORKERS} sync workers for every server; load from `wrk -t2 -c{CONNECTIONS} -d{DURATION}s` on the
same machine, so absolute numbers are modest: compare the ratio to the bare Flask endpoint, measured
in the same run.

| what | req/s | p50 ms | p99 ms | × floor | non-2xx |
| --- | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

Target: the event page at least half the floor's requests per second. RSVP latency with a slow
SMTP server stays that of the plain RSVP run: email leaves through the outbox and the worker,
never inside the request.

SQL statements per page, 10 events vs 1,000 events in the database:

| page | 10 events | 1,000 events |
| --- | ---: | ---: |
{chr(10).join(query_rows)}

Pages list a bounded number of events, so their statement count does not follow the data. The
feed lists every event: related rows (venues, itinerary stops) are loaded with SQLAlchemy's
selectin loading, 500 parent ids per statement, so it grows by one statement per 500 events and
relationship, never by one per event.
"""
    write_section("pages", markdown)
    print(markdown)

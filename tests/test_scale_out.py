"""Several processes at once: web workers under gunicorn, and mail workers over one outbox."""

import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.extensions import db
from app.mail.models import MessageStatus, OutboxMessage
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import seats_taken
from tests.conftest import POSTGRES_URL, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env(database_url: str, **extra) -> dict:
    return {
        **os.environ,
        "CONVOCA_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def _wait_until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (the second pass of make test)")
def test_200_simultaneous_rsvps_across_server_processes_fill_exactly_50_seats(app, make_event):
    event = make_event(capacity=50, guest_limit=1)
    rsvp_url = f"/events/{event.slug}/rsvp"
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            "4",
            "--threads",
            "8",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=_env(POSTGRES_URL),
    )
    try:

        def healthy() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").status == 200
            except OSError:
                return False

        _wait_until(healthy, 30, "gunicorn")

        def answer(n: int) -> int:
            data = urllib.parse.urlencode(
                {
                    "name": f"Person {n}",
                    "email": f"person{n}@example.com",
                    "organization": "SDSU",
                    "response": "yes",
                    "language": "es" if n % 2 else "en",
                    "guests": "1" if n % 3 == 0 else "0",
                    # A pair finding one seat left chooses to wait rather than be asked.
                    "join_waitlist": "y",
                }
            ).encode()
            url = f"http://127.0.0.1:{port}{rsvp_url}"
            with urllib.request.urlopen(url, data=data, timeout=60) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=200) as pool:
            statuses = list(pool.map(answer, range(200)))
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert statuses == [200] * 200
    db.session.expire_all()
    rsvps = db.session.scalars(db.select(Rsvp)).all()
    assert len(rsvps) == 200
    confirmed = [r for r in rsvps if r.status is RsvpStatus.CONFIRMED]
    waitlisted = sorted(
        (r for r in rsvps if r.status is RsvpStatus.WAITLISTED),
        key=lambda r: (r.waitlisted_at, r.id),
    )
    assert len(confirmed) + len(waitlisted) == 200
    # Singles are waiting, so any free seat would have gone to one: exactly 50, guests counted.
    assert any(r.guests == 0 for r in waitlisted)
    assert seats_taken(event) == sum(r.seats for r in confirmed) == 50
    # The line is in arrival order: the order in which answers took the event's lock.
    assert [r.id for r in waitlisted] == sorted(r.id for r in waitlisted)
    messages = db.session.scalars(db.select(OutboxMessage)).all()
    assert sorted(m.rsvp_id for m in messages) == sorted(r.id for r in rsvps)
    # Everyone was told the place in line they really have: nobody cut in after the email.
    told = {
        # "number 7 in line", "con el número 7", or for a party that chose to wait, "en el lugar 7".
        m.rsvp_id: int(re.search(r"(?:number|número|lugar) (\d+)", m.body_text).group(1))
        for m in messages
        if m.kind == "rsvp_waitlisted"
    }
    assert told == {r.id: place for place, r in enumerate(waitlisted, start=1)}


def test_two_mail_workers_never_send_a_message_twice(app, make_event, answer_rsvp, smtp):
    event = make_event(capacity=None)
    for _ in range(60):
        answer_rsvp(event)
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = _env(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port))
    workers = [
        subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "send-mail", "--loop", "--interval", "0.05"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:

        def all_sent() -> bool:
            db.session.expire_all()
            pending = db.session.scalar(
                db.select(db.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != MessageStatus.SENT)
            )
            return pending == 0

        _wait_until(all_sent, 60, "the outbox to empty")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    recipients = [str(m["To"]) for m in smtp.mailbox]
    assert len(recipients) == 60
    assert len(set(recipients)) == 60
    attempts = db.session.scalar(db.text("SELECT count(*) FROM delivery_attempts"))
    assert attempts == 60

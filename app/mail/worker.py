"""The mail worker's loop: heartbeat, due reminders, one delivery pass, the daily purge of
personal data past retention, pause; a database error ends the pass, not the worker."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from app.db_types import utcnow
from app.events.reminders import send_due_reminders
from app.extensions import db
from app.mail.models import WorkerHeartbeat
from app.mail.sender import DeliveryReport, deliver_pending
from app.privacy.retention import purge_personal_data

log = logging.getLogger(__name__)

FORGET_SILENT_WORKERS_AFTER = timedelta(days=7)
# Personal data past retention is purged when the worker starts, then once a day; a purge that
# hit a database error is tried again an hour later rather than a day.
PURGE_INTERVAL = timedelta(days=1)
PURGE_RETRY_AFTER = timedelta(hours=1)


def worker_name() -> str:
    """`host:pid`: one heartbeat row per worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def record_heartbeat(worker: str, now: datetime) -> None:
    """Stamp this worker's row (made on its first beat), and commit."""
    beat = db.session.scalar(db.select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker))
    if beat is None:
        forgotten = now - FORGET_SILENT_WORKERS_AFTER
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < forgotten))
        db.session.add(WorkerHeartbeat(worker=worker, started_at=now, beat_at=now))
    else:
        beat.beat_at = now
    db.session.commit()


class StopSignals:
    """While in use, SIGTERM (systemd stopping the service) and SIGINT (Ctrl-C) only ask the
    worker to stop: it finishes the message in flight, records the server's answer, then stops.

    Killed between the server's acceptance and that record, it would leave the message to be
    sent again. Signal handlers can only be set in the main thread; elsewhere nothing changes.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)
    POLL_SECONDS = 0.1

    def __init__(self) -> None:
        self.received: str | None = None  # the signal's name, once one came
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame) -> None:
        # Only a flag: the handler runs between any two bytecodes, even mid-commit.
        self.received = signal.Signals(number).name

    @property
    def requested(self) -> bool:
        return self.received is not None

    def sleep(self, seconds: float) -> None:
        """Pause, ending early on a stop request. time.sleep() carries on after a signal
        handler returns (PEP 475), so the pause is taken in short steps."""
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, self.POLL_SECONDS))


def run_pass(
    worker: str, queue_reminders: bool, stop: StopSignals | None = None
) -> tuple[int, DeliveryReport]:
    """One pass: the heartbeat, then due reminders (when asked), then delivery, which ends
    after the message in flight once `stop` is requested."""
    record_heartbeat(worker, utcnow())
    reminders = send_due_reminders(utcnow()) if queue_reminders else 0
    stopping = (lambda: stop.requested) if stop is not None else None
    return reminders, deliver_pending(stop_requested=stopping)


def purge_is_due(last_run: datetime | None, now: datetime) -> bool:
    """Whether the daily purge should run: at the worker's start, then a day after the last."""
    return last_run is None or now - last_run >= PURGE_INTERVAL


def run_daily_purge(
    last_run: datetime | None, now: datetime, echo: Callable[[str], None]
) -> datetime | None:
    """Purge personal data past retention if it is due, and commit; returns the time to count
    the next day from. A database error is logged, not raised: mail keeps flowing."""
    if not purge_is_due(last_run, now):
        return last_run
    try:
        report = purge_personal_data(now)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("mail worker: purge of personal data failed, trying again later: %s", error)
        return now - PURGE_INTERVAL + PURGE_RETRY_AFTER
    if report.total:
        echo("personal data purged: " + ", ".join(report.lines()))
    return now


def run_worker(*, loop: bool, interval: float, echo: Callable[[str], None]) -> None:
    """Deliver once, or keep delivering (and queueing due reminders) until SIGTERM or SIGINT,
    which end the loop once the message in flight is recorded (`StopSignals`).

    In a loop, a database error (a restart, a lost connection) is logged, the session thrown
    away, and the worker tries again after MAIL_DB_RETRY_SECONDS. A single run lets it out.
    """
    if not loop:
        _run_once(worker_name(), echo)
        return
    worker = worker_name()
    last_purge: datetime | None = None  # in memory: each worker purges at its start
    with StopSignals() as stop:
        while not stop.requested:
            pause = interval
            try:
                reminders, report = run_pass(worker, queue_reminders=True, stop=stop)
            except SQLAlchemyError as error:
                pause = max(interval, current_app.config["MAIL_DB_RETRY_SECONDS"])
                log.error("mail worker: database error, trying again in %ss: %s", pause, error)
            else:
                if reminders:
                    echo(f"reminders queued: {reminders}")
                if report.attempted:
                    echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
                if not stop.requested:
                    last_purge = run_daily_purge(last_purge, utcnow(), echo)
            finally:
                db.session.remove()  # a fresh session each pass: no stale identity map, no dead one
            stop.sleep(pause)
        echo(f"mail worker: stopped on {stop.received}, nothing left in flight")


def _run_once(worker: str, echo: Callable[[str], None]) -> None:
    try:
        _, report = run_pass(worker, queue_reminders=False)
    finally:
        db.session.remove()
    echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")

"""The mail worker's loop: heartbeat, due reminders, one delivery pass, pause; a database error
ends the pass, not the worker."""

from __future__ import annotations

import logging
import os
import socket
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

log = logging.getLogger(__name__)

FORGET_SILENT_WORKERS_AFTER = timedelta(days=7)


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


def run_pass(worker: str, queue_reminders: bool) -> tuple[int, DeliveryReport]:
    """One pass: the heartbeat, then due reminders (when asked), then delivery."""
    record_heartbeat(worker, utcnow())
    reminders = send_due_reminders(utcnow()) if queue_reminders else 0
    return reminders, deliver_pending()


def run_worker(*, loop: bool, interval: float, echo: Callable[[str], None]) -> None:
    """Deliver once, or keep delivering (and queueing due reminders) until interrupted.

    In a loop, a database error (a restart, a lost connection) is logged, the session thrown
    away, and the worker tries again after MAIL_DB_RETRY_SECONDS. A single run lets it out.
    """
    worker = worker_name()
    while True:
        pause = interval
        try:
            reminders, report = run_pass(worker, queue_reminders=loop)
        except SQLAlchemyError as error:
            if not loop:
                raise
            pause = max(interval, current_app.config["MAIL_DB_RETRY_SECONDS"])
            log.error("mail worker: database error, trying again in %ss: %s", pause, error)
        else:
            if reminders:
                echo(f"reminders queued: {reminders}")
            if report.attempted or not loop:
                echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        finally:
            db.session.remove()  # a fresh session each pass: no stale identity map, no dead one
        if not loop:
            return
        try:
            time.sleep(pause)
        except KeyboardInterrupt:
            return

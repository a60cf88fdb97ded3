"""Reading the outbox: its health, for monitoring."""

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import case, func, or_

from app.extensions import db
from app.mail.models import MessageStatus, OutboxMessage, WorkerHeartbeat

# Problems /healthz names (machine-readable, never translated).
BACKLOG = "outbox_backlog"  # the oldest pending message is older than the threshold
NO_WORKER = "no_mail_worker"  # no worker has reported recently


@dataclass(frozen=True)
class OutboxHealth:
    pending: int
    failed: int
    oldest_pending_seconds: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def outbox_health(now: datetime) -> OutboxHealth:
    """Pending and failed counts and the age of the oldest pending message, in one query.

    A message held for its recipient's hourly limit (app/mail/limits.py) is on time: it is not
    counted while held, and afterwards its age counts from when the hold ended.
    """
    held, created = OutboxMessage.held_until, OutboxMessage.created_at
    waiting_since = case((held > created, held), else_=created)
    pending, failed, oldest = db.session.execute(
        db.select(
            func.count().filter(OutboxMessage.status == MessageStatus.PENDING),
            func.count().filter(OutboxMessage.status == MessageStatus.FAILED),
            func.min(waiting_since).filter(
                OutboxMessage.status == MessageStatus.PENDING,
                or_(held.is_(None), held <= now),
            ),
        )
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else None
    return OutboxHealth(pending=pending, failed=failed, oldest_pending_seconds=age)


def last_heartbeat_seconds(now: datetime) -> float | None:
    """Seconds since any mail worker last reported; None when none ever has."""
    newest = db.session.scalar(db.select(func.max(WorkerHeartbeat.beat_at)))
    return (now - newest).total_seconds() if newest is not None else None


def mail_problems(
    outbox: OutboxHealth,
    heartbeat_seconds: float | None,
    max_pending_age: float,
    max_heartbeat_age: float,
) -> list[str]:
    """What is wrong with mail delivery, as codes: a stale backlog, a silent worker."""
    problems = []
    oldest = outbox.oldest_pending_seconds
    if oldest is not None and oldest > max_pending_age:
        problems.append(BACKLOG)
    if heartbeat_seconds is None or heartbeat_seconds > max_heartbeat_age:
        problems.append(NO_WORKER)
    return problems

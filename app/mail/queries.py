"""Reading the outbox: its health, for monitoring."""

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func

from app.extensions import db
from app.mail.models import MessageStatus, OutboxMessage


@dataclass(frozen=True)
class OutboxHealth:
    pending: int
    failed: int
    oldest_pending_seconds: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def outbox_health(now: datetime) -> OutboxHealth:
    """Pending and failed counts and the age of the oldest pending message, in one query."""
    pending, failed, oldest = db.session.execute(
        db.select(
            func.count().filter(OutboxMessage.status == MessageStatus.PENDING),
            func.count().filter(OutboxMessage.status == MessageStatus.FAILED),
            func.min(OutboxMessage.created_at).filter(
                OutboxMessage.status == MessageStatus.PENDING
            ),
        )
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else None
    return OutboxHealth(pending=pending, failed=failed, oldest_pending_seconds=age)

"""The outbox: every email is a row written in the transaction that caused it."""

from __future__ import annotations

import enum
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, db_enum, utcnow
from app.extensions import db


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; kept for a person to look at


def new_message_id() -> str:
    """A globally unique RFC 5322 Message-ID, `<…@convoca>`."""
    return make_msgid(idstring="outbox", domain="convoca")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message is about, e.g. "rsvp_confirmed"; its template (email/rsvp.*) picks its
    # wording by it. Not the template name: one template serves several kinds.
    kind: Mapped[str] = mapped_column(String(40))
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text)  # an iTIP calendar object
    ics_method: Mapped[str | None] = mapped_column(String(10))  # REQUEST or CANCEL
    # A URL shown as an inline QR code image (the attendee's check-in link).
    qr_url: Mapped[str | None] = mapped_column(String(500))
    # The Message-ID header, chosen once: every attempt sends the same one, so a message that
    # may have gone out before a crash and is sent again is one message to mail clients.
    message_id_header: Mapped[str] = mapped_column(String(250), unique=True, default=new_message_id)

    status: Mapped[MessageStatus] = mapped_column(
        db_enum(MessageStatus, "message_status"), default=MessageStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Indexed for the per-recipient hourly limit (app/mail/outbox.py), which counts the last hour.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while delivery waits for the recipient's hourly limit (app/mail/sender.py): a held
    # message is on time, not a backlog.
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a delivery status notification said it never arrived (app/inbound/bounces.py).
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rsvp_id: Mapped[int | None] = mapped_column(
        ForeignKey("rsvps.id", ondelete="SET NULL"), index=True
    )

    delivery_attempts: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.id", cascade="all, delete-orphan", back_populates="message"
    )

    @property
    def token_nonce(self) -> str:
        """Its bounce address is signed over its Message-ID (app/tokens.py, Purpose.BOUNCE)."""
        return self.message_id_header


class DeliveryAttempt(db.Model):
    """One try at handing a message to the SMTP server, kept for diagnosis.

    It is written before the message goes to the server, with `succeeded` None ("in flight"),
    and completed after the server answers. An attempt still in flight when its message comes
    round again belonged to a worker that stopped mid-send: the message may have been delivered
    (see `sender.close_interrupted_attempts`).
    """

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded: Mapped[bool | None] = mapped_column(Boolean)  # None: in flight
    error: Mapped[str | None] = mapped_column(Text)

    message: Mapped[OutboxMessage] = relationship(back_populates="delivery_attempts")


class RejectedAddress(db.Model):
    """An address the mail server refused permanently (a 5xx reply to RCPT), for a person to
    look at. Messages to it are not held back: the next one is tried, and refused, on its own."""

    __tablename__ = "rejected_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lowercased
    smtp_code: Mapped[int] = mapped_column(Integer)
    reply: Mapped[str] = mapped_column(Text)  # the server's words, e.g. "5.1.1 No such user"
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkerHeartbeat(db.Model):
    """One row per mail worker process (`host:pid`), stamped at every pass of `send-mail`.

    `/healthz` reads the newest stamp: no recent one means no worker is delivering. Rows of
    workers silent for a week are removed by the next worker to start.
    """

    __tablename__ = "mail_worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(String(200), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

"""Delivering the outbox: claim due messages, send each, record the attempt, back off on failure.

Several workers may run at once. A message is claimed by moving its `next_attempt_at` forward
with a conditional UPDATE (a lease); only the worker whose UPDATE matched sends it.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.encoders import encode_quopri
from email.message import Message as MimeMessage
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.utils import make_msgid
from pathlib import Path

from flask import current_app
from flask_mail import BadHeaderError, Message
from sqlalchemy import update

from app.db_types import utcnow
from app.extensions import db, mail
from app.mail.models import DeliveryAttempt, MessageStatus, OutboxMessage
from app.mail.qr import QR_CONTENT_ID, qr_png

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any one SMTP conversation
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=2)
MAX_LINE_OCTETS = 998  # RFC 5322 §2.1.1; SMTP servers refuse longer lines (RFC 5321 §4.5.3.1.6)


@dataclass(frozen=True)
class InlineImage:
    """A PNG the HTML shows as `cid:<content_id>`."""

    content_id: str
    filename: str
    data: bytes


class CalendarMessage(Message):
    """A Flask-Mail message whose text/calendar parts carry the iTIP `method` parameter, and
    whose HTML travels with its images.

    Outlook and Gmail only treat a calendar part as an invitation when its Content-Type says
    `method=REQUEST` (or CANCEL), matching the METHOD inside (RFC 6047 §2.4).
    """

    def __init__(
        self,
        *args,
        ics_method: str | None = None,
        inline_images: Sequence[InlineImage] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.ics_method = ics_method
        self.inline_images = list(inline_images)

    def _message(self):
        msg = super()._message()
        if self.ics_method:
            for part in msg.walk():
                if part.get_content_type() == "text/calendar":
                    part.set_param("method", self.ics_method)
                    part.set_param("charset", "utf-8")
        if self.inline_images:
            _relate_images_to_html(msg, self.inline_images)
        _quote_long_lines(msg)
        return msg


def _quote_long_lines(msg: MimeMessage) -> None:
    """Send a text part as quoted-printable when a line of it is too long for SMTP.

    Flask-Mail sends UTF-8 text as 8bit, lines as they are; a paragraph typed without line
    breaks, or a long link in the HTML, would have the server refuse the whole message.
    """
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        body = part.get_payload(decode=True)
        if any(len(line) > MAX_LINE_OCTETS for line in body.splitlines()):
            del part["Content-Transfer-Encoding"]
            part.set_payload(body)
            encode_quopri(part)


def _relate_images_to_html(msg: MimeMessage, images: Sequence[InlineImage]) -> None:
    """Put the HTML alternative and its images together in a multipart/related (RFC 2387):

        multipart/mixed
          multipart/alternative
            text/plain
            multipart/related
              text/html
              image/png (Content-ID, inline)
            text/calendar; method=…
          application/ics (invite.ics)

    Outlook only resolves `cid:` links to parts of the HTML's own multipart/related; elsewhere
    it lists the image as an attachment and shows a broken picture in the message.
    """
    alternative = next(p for p in msg.walk() if p.get_content_type() == "multipart/alternative")
    alternatives = alternative.get_payload()
    html_index = next(
        i for i, part in enumerate(alternatives) if part.get_content_type() == "text/html"
    )
    related = MIMEMultipart("related", type="text/html")
    related.attach(alternatives[html_index])
    for image in images:
        part = MIMEImage(image.data, "png")
        part.add_header("Content-ID", f"<{image.content_id}>")
        part.add_header("Content-Disposition", "inline", filename=image.filename)
        related.attach(part)
    alternatives[html_index] = related


def build_message(outbox: OutboxMessage) -> CalendarMessage:
    """The MIME message: text and HTML alternatives, plus the invitation when there is one, both
    inline (text/calendar, for mail clients' calendar buttons) and as an invite.ics file, and
    the QR code when there is one, as an inline PNG beside the HTML that shows it through its
    Content-ID."""
    images = []
    if outbox.qr_url:
        images.append(InlineImage(QR_CONTENT_ID, "checkin-qr.png", qr_png(outbox.qr_url)))
    message = CalendarMessage(
        subject=outbox.subject,
        recipients=[(outbox.recipient_name, outbox.recipient_email)],
        body=outbox.body_text,
        ics_method=outbox.ics_method,
        inline_images=images,
    )
    # Alternatives go from plainest to richest; the calendar part comes last, as Gmail and
    # Outlook send it.
    message.alts = {"html": outbox.body_html}
    if outbox.ics:
        message.alts["calendar"] = outbox.ics
    if outbox.ics:
        message.attach("invite.ics", "application/ics", outbox.ics.encode(), "attachment")
    message.msgId = make_msgid(idstring=f"outbox-{outbox.id}", domain="convoca")
    return message


class FileSink:
    """Development delivery: each message becomes a readable .eml file."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def __enter__(self) -> FileSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: CalendarMessage, outbox: OutboxMessage) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{outbox.id:06d}-{outbox.kind}.eml"
        path.write_bytes(message.as_bytes())


class SmtpTransport:
    """Real delivery through Flask-Mail's SMTP connection, reused for a batch."""

    def __enter__(self) -> SmtpTransport:
        self.connection = mail.connect().__enter__()
        return self

    def __exit__(self, *exc) -> None:
        # A server that hangs up on QUIT has already accepted the messages.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.__exit__(*exc)

    def send(self, message: CalendarMessage, outbox: OutboxMessage) -> None:
        self.connection.send(message)


def _transport():
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SmtpTransport()
    return FileSink(config["MAIL_SINK_DIR"])


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 … minutes, capped at two hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def claim_due(now: datetime, limit: int) -> list[OutboxMessage]:
    """Lease up to `limit` due messages to this worker and commit the lease."""
    candidates = db.session.execute(
        db.select(OutboxMessage.id, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    claimed_ids = []
    for message_id, due_at in candidates:
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == MessageStatus.PENDING,
                OutboxMessage.next_attempt_at == due_at,
            )
            .values(next_attempt_at=now + LEASE)
        )
        if result.rowcount == 1:
            claimed_ids.append(message_id)
    db.session.commit()
    if not claimed_ids:
        return []
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed_ids))
            .order_by(OutboxMessage.id)
        )
    )


def _record(message: OutboxMessage, now: datetime, error: Exception | None) -> MessageStatus:
    message.attempts += 1
    db.session.add(
        DeliveryAttempt(
            message=message, attempted_at=now, succeeded=error is None, error=_describe(error)
        )
    )
    if error is None:
        message.status = MessageStatus.SENT
        message.sent_at = now
        message.last_error = None
    else:
        message.last_error = _describe(error)
        if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            message.status = MessageStatus.FAILED
        else:
            message.next_attempt_at = now + backoff(message.attempts)
    db.session.commit()
    return message.status


def _describe(error: Exception | None) -> str | None:
    return None if error is None else f"{type(error).__name__}: {error}"[:2000]


def deliver_pending(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """One pass over the outbox: send what is due, and schedule a retry for what fails."""
    now = now or utcnow()
    report = DeliveryReport()
    messages = claim_due(now, limit)
    if not messages:
        return report
    try:
        transport = _transport().__enter__()
    except (smtplib.SMTPException, OSError) as error:
        # The server is down: every claimed message counts an attempt and waits its turn.
        for message in messages:
            _tally(report, _record(message, now, error))
        log.warning("mail server unreachable: %s", error)
        return report
    try:
        for message in messages:
            try:
                transport.send(build_message(message), message)
            except (smtplib.SMTPException, OSError, ValueError, BadHeaderError) as error:
                log.warning("message %s not delivered: %s", message.id, error)
                _tally(report, _record(message, now, error))
            else:
                _tally(report, _record(message, now, None))
    finally:
        transport.__exit__(None, None, None)
    return report


def _tally(report: DeliveryReport, status: MessageStatus) -> None:
    if status is MessageStatus.SENT:
        report.sent += 1
    elif status is MessageStatus.FAILED:
        report.failed += 1
    else:
        report.retrying += 1


def retry_failed() -> int:
    """Put messages that ran out of attempts back in the queue (after fixing the cause)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.FAILED)
        .values(status=MessageStatus.PENDING, attempts=0, next_attempt_at=utcnow())
    )
    db.session.commit()
    return result.rowcount

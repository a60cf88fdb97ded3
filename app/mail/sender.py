"""Delivering the outbox: claim due messages, send each, record the attempt, back off on failure.

Several workers may run at once. A message is claimed by moving its `next_attempt_at` forward
with a conditional UPDATE (a lease); only the worker whose UPDATE matched sends it, and it renews
the lease the same way just before sending.

Each attempt is committed as "in flight" before the message goes to the server, and completed
after the server answers. A worker killed in between leaves the attempt in flight; whoever
claims the message next counts it as possibly delivered and sends it again with the same
Message-ID, which mail clients and servers treat as one message. Nothing is lost, and a
duplicate, if any, is recognisably the same message.

Temporary failures (4xx, a broken connection, a timeout) back off and retry; permanent ones
(5xx) fail the message at once, and a 5xx for the recipient marks the address as rejected.

A message whose recipient has had their hourly share of mail is held, not tried: it waits
until the hour allows (app/mail/limits.py).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.encoders import encode_quopri
from email.message import Message as MimeMessage
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from pathlib import Path

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import update

from app.db_types import utcnow
from app.extensions import db
from app.inbound.addresses import bounce_address
from app.mail.limits import hold_until
from app.mail.models import DeliveryAttempt, MessageStatus, OutboxMessage, RejectedAddress
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
    message.msgId = outbox.message_id_header  # the same for every attempt
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


class TimedConnection(Connection):
    """Flask-Mail's SMTP connection with a timeout on every socket operation.

    Flask-Mail opens `smtplib.SMTP(host, port)` without one, so a server that accepts the
    connection and never answers holds the worker forever.
    """

    def __init__(self, state, timeout: float):
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=self.timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class SmtpTransport:
    """Real delivery over one SMTP connection, reused for a batch, every wait bounded by
    MAIL_TIMEOUT_SECONDS."""

    def __enter__(self) -> SmtpTransport:
        state = current_app.extensions["mail"]
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        self.connection = TimedConnection(state, timeout).__enter__()
        self.broken = False
        return self

    def __exit__(self, *exc) -> None:
        host = self.connection.host
        if self.broken:
            # No QUIT on a connection that failed: it would only wait out the timeout again.
            if host is not None:
                host.close()
            return
        # A server that hangs up on QUIT has already accepted the messages.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.__exit__(*exc)

    def send(self, message: CalendarMessage, outbox: OutboxMessage) -> None:
        try:
            # VERP: with answers by email on, the envelope sender is this message's own bounce
            # address, so a bounce says which message failed (app/inbound); From is unchanged.
            self.connection.send(message, envelope_from=bounce_address(outbox))
        except smtplib.SMTPResponseException:
            raise  # the server answered (and smtplib reset the transaction): still usable
        except smtplib.SMTPRecipientsRefused:
            raise
        except OSError:  # a timeout, a reset, SMTPServerDisconnected
            self.broken = True
            raise


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
    held: int = 0  # waiting for the recipient's hourly limit, not attempted

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 … minutes, capped at two hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


INTERRUPTED = (
    "Interrupted: the worker stopped before the server's answer was recorded; the message may "
    "have been delivered, and is sent again with the same Message-ID."
)


def claim_due(now: datetime, limit: int) -> list[OutboxMessage]:
    """Lease up to `limit` due messages to this worker and commit the lease.

    The attempts still in flight on the claimed messages are closed as interrupted.
    """
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
    if claimed_ids:
        close_interrupted_attempts(claimed_ids)
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


def close_interrupted_attempts(message_ids: Sequence[int]) -> int:
    """Mark the in-flight attempts of these (just claimed) messages as interrupted.

    Only a worker that stopped mid-send leaves one: its lease has run out, or the message could
    not have been claimed. The message stays pending and goes again, with its Message-ID.
    """
    interrupted = db.session.scalars(
        db.select(DeliveryAttempt.message_id).where(
            DeliveryAttempt.message_id.in_(message_ids), DeliveryAttempt.succeeded.is_(None)
        )
    ).all()
    if not interrupted:
        return 0
    db.session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.message_id.in_(interrupted), DeliveryAttempt.succeeded.is_(None))
        .values(succeeded=False, error=INTERRUPTED)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(interrupted))
        .values(last_error=INTERRUPTED)
    )
    for message_id in interrupted:
        log.warning("message %s may have been delivered already; sending it again", message_id)
    return len(interrupted)


def _begin_attempt(message: OutboxMessage, at: datetime) -> DeliveryAttempt | None:
    """Renew this worker's lease and commit an in-flight attempt, before the message is sent.

    None when the lease was lost (it ran out and another worker claimed the message).
    """
    renewed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at == message.next_attempt_at,
        )
        .values(next_attempt_at=at + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount != 1:
        db.session.rollback()
        return None
    attempt = DeliveryAttempt(message_id=message.id, attempted_at=at, succeeded=None)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def _finish_attempt(
    message: OutboxMessage, attempt: DeliveryAttempt, at: datetime, error: Exception | None
) -> MessageStatus:
    """Record the server's answer on the in-flight attempt and decide what comes next."""
    attempt.succeeded = error is None
    attempt.error = _describe(error)
    _settle(message, at, error)
    db.session.commit()
    return message.status


def _record_unsent(message: OutboxMessage, at: datetime, error: Exception) -> MessageStatus:
    """An attempt that never reached the point of sending (no connection to the server)."""
    message.attempts += 1
    db.session.add(
        DeliveryAttempt(message=message, attempted_at=at, succeeded=False, error=_describe(error))
    )
    _settle(message, at, error)
    db.session.commit()
    return message.status


def _settle(message: OutboxMessage, at: datetime, error: Exception | None) -> None:
    if error is None:
        message.status = MessageStatus.SENT
        message.sent_at = at
        message.last_error = None
        return
    message.last_error = _describe(error)
    rejected = rejected_recipient(error)
    if rejected is not None:
        _mark_rejected(message.recipient_email, *rejected, at)
    if is_permanent(error) or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = MessageStatus.FAILED
    else:
        message.next_attempt_at = at + backoff(message.attempts)


def is_permanent(error: Exception) -> bool:
    """True when trying again cannot help: a 5xx reply about this message or its recipient, or
    a message that cannot be built. A refused sender is our configuration, not the message's:
    it stays temporary, so the messages go once the configuration is fixed."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return rejected_recipient(error) is not None
    if isinstance(error, smtplib.SMTPSenderRefused):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return isinstance(error, (ValueError, BadHeaderError))


def rejected_recipient(error: Exception) -> tuple[int, str] | None:
    """The (code, reply) of a permanent refusal of the recipient (5xx to RCPT), else None."""
    if not isinstance(error, smtplib.SMTPRecipientsRefused) or not error.recipients:
        return None
    code, reply = next(iter(error.recipients.values()))
    if not 500 <= code < 600:
        return None
    return code, reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _mark_rejected(email: str, code: int, reply: str, at: datetime) -> None:
    key = email.strip().lower()
    marked = db.session.scalar(db.select(RejectedAddress).where(RejectedAddress.email == key))
    if marked is None:
        marked = RejectedAddress(email=key)
        db.session.add(marked)
    marked.smtp_code, marked.reply, marked.rejected_at = code, reply[:2000], at


def _hold(message: OutboxMessage, until: datetime) -> None:
    """Give back a claimed message, due again when its recipient's hour allows."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at == message.next_attempt_at,
        )
        .values(next_attempt_at=until, held_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    log.info("message %s held until %s: its recipient's hourly limit", message.id, until)


def _release(messages: Sequence[OutboxMessage], at: datetime) -> None:
    """Hand back claimed messages this pass did not try, due again at once."""
    for message in messages:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.status == MessageStatus.PENDING,
                OutboxMessage.next_attempt_at == message.next_attempt_at,
            )
            .values(next_attempt_at=at)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def _describe(error: Exception | None) -> str | None:
    return None if error is None else f"{type(error).__name__}: {error}"[:2000]


def deliver_pending(
    now: datetime | None = None,
    limit: int = 100,
    stop_requested: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """One pass over the outbox: send what is due, and schedule a retry for what fails.

    `now` is when the pass starts (tests move it forward); times recorded during the pass add
    the time it has taken so far, so a lease renewed mid-pass really extends it. Once
    `stop_requested()` is true, the pass ends after the message in flight and hands the rest
    back, due at once, to whichever worker runs next.
    """
    start, started = now or utcnow(), time.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - started)

    report = DeliveryReport()
    messages = claim_due(start, limit)
    if not messages:
        return report
    try:
        transport = _transport().__enter__()
    except (smtplib.SMTPException, OSError) as error:
        # The server is down or silent: every claimed message counts an attempt and waits.
        at = clock()
        for message in messages:
            _tally(report, _record_unsent(message, at, error))
        log.warning("mail server unreachable: %s", error)
        return report
    try:
        for position, message in enumerate(messages):
            if stop_requested is not None and stop_requested():
                _release(messages[position:], clock())
                break
            held = hold_until(message, clock())
            if held is not None:
                _hold(message, held)
                report.held += 1
                continue
            # Built before the attempt begins: a message that cannot be built is never sent.
            try:
                mime = build_message(message)
            except (ValueError, BadHeaderError) as error:
                log.warning("message %s cannot be built: %s", message.id, error)
                _tally(report, _record_unsent(message, clock(), error))
                continue
            attempt = _begin_attempt(message, clock())
            if attempt is None:
                continue  # another worker has it now
            try:
                transport.send(mime, message)
            except (smtplib.SMTPException, OSError, ValueError, BadHeaderError) as error:
                log.warning("message %s not delivered: %s", message.id, error)
                _tally(report, _finish_attempt(message, attempt, clock(), error))
                if getattr(transport, "broken", False):
                    _release(messages[position + 1 :], clock())
                    break
            else:
                _tally(report, _finish_attempt(message, attempt, clock(), None))
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

"""Bounces: delivery status notifications (RFC 3464) for the mail we sent.

Every outgoing message has its own envelope sender (a bounce address, app/inbound/addresses.py),
so a bounce names the message that failed whatever the reporting server writes in it. A failed
delivery marks that message `bounced_at`; a permanent failure (5.x.x) also marks its address
undeliverable in `RejectedAddress`, which the SMTP sender fills too when our own server refuses
an address. Only a report about our message's recipient counts (or one that names nobody): a
bounce address reaches whoever our mail reached, and a report about a forward to some other
address, or a forged one naming strangers, says nothing about ours. Anything else sent to a
bounce address changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import HeaderParser

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.inbound.mime import UnreadableMessage, read_message
from app.mail.models import OutboxMessage, RejectedAddress

_SMTP_REPLY_CODE = re.compile(r"\b([245][0-9][0-9])\b")
_STATUS = re.compile(r"([245])\.[0-9]{1,3}\.[0-9]{1,3}")


@dataclass(frozen=True)
class RecipientReport:
    """One recipient's part of a delivery status notification."""

    recipient: str | None  # Final-Recipient, lowercased; None if not an email address
    action: str  # failed, delayed, delivered, relayed, expanded (lowercased)
    status: str  # e.g. "5.1.1"
    diagnostic: str  # the receiving server's words, if it gave any

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5.")

    @property
    def smtp_code(self) -> int:
        """The SMTP reply code of the failure: the server's own (550, 552 …) when the report
        quotes it, else 550 for a permanent failure and 450 for a temporary one."""
        match = _SMTP_REPLY_CODE.search(self.diagnostic)
        if match and match[1][0] == self.status[:1]:
            return int(match[1])
        return 550 if self.permanent else 450


def delivery_reports(raw: bytes) -> list[RecipientReport] | None:
    """The per-recipient reports of a delivery status notification; None for any other
    message (an auto-reply, a person writing back). Raises UnreadableMessage for one too
    complex to read (app/inbound/mime.py)."""
    message = read_message(raw)
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        return None
    status_part = next(
        (p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return None
    blocks = _status_blocks(status_part)
    # The first block is about the message as a whole; each after it is one recipient's.
    return [_recipient_report(block) for block in blocks[1:] if block.get("Action")]


def _status_blocks(part: EmailMessage) -> list:
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    # Some servers encode the report (base64): the email package then leaves it as text.
    data = part.get_payload(decode=True) or b""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    return [HeaderParser().parsestr(block) for block in re.split(r"\n\s*\n", text) if block.strip()]


def _recipient_report(block) -> RecipientReport:
    kind, _, address = str(block.get("Final-Recipient", "")).partition(";")
    address = address.strip().strip("<>").lower()
    status = _STATUS.search(str(block.get("Status", "")))
    return RecipientReport(
        recipient=address if kind.strip().lower() == "rfc822" and "@" in address else None,
        action=str(block.get("Action", "")).strip().lower(),
        status=status[0] if status else "",
        diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
    )


@dataclass(frozen=True)
class BounceResult:
    """What a message to a bounce address did: `applied` False means it changed nothing."""

    applied: bool
    reason: str | None  # a code for the organizer page when nothing changed
    detail: str


def apply_bounce(outbox_message: OutboxMessage, raw: bytes, now: datetime) -> BounceResult:
    """Mark `outbox_message` bounced when `raw` reports its delivery failed, and its address
    undeliverable when the failure is permanent. Flushes; the caller commits."""
    try:
        reports = delivery_reports(raw)
    except UnreadableMessage as error:
        return BounceResult(False, "unreadable_message", str(error))
    if reports is None:
        return BounceResult(False, "not_a_bounce", "not a delivery status notification")
    failed = [r for r in reports if r.action == "failed"]
    if not failed:
        actions = sorted({r.action for r in reports})
        reason = "bounce_delayed" if "delayed" in actions else "bounce_not_failed"
        return BounceResult(False, reason, f"delivery report: {', '.join(actions) or 'empty'}")
    # Our message had one recipient. A report that names no address (an X.400 or other kind
    # of Final-Recipient) can only be about it.
    address = outbox_message.recipient_email.strip().lower()
    report = next((r for r in failed if r.recipient == address), None)
    report = report or next((r for r in failed if r.recipient is None), None)
    if report is None:
        others = ", ".join(sorted({r.recipient for r in failed if r.recipient}))
        return BounceResult(
            False, "bounce_other_recipient", f"a failed delivery to {others}, not to {address}"
        )
    outbox_message.bounced_at = outbox_message.bounced_at or now
    words = " ".join(filter(None, [report.status, report.diagnostic]))
    if not report.permanent:
        # Given up after retrying (4.4.7 and the like): this message is lost, the address
        # may well work tomorrow.
        db.session.flush()
        return BounceResult(True, None, f"not delivered, temporary failure: {words}")
    mark_undeliverable(address, report.smtp_code, words, now)
    return BounceResult(True, None, f"bounced: {words}")


def mark_undeliverable(email: str, smtp_code: int, reply: str, now: datetime) -> None:
    """Record that mail to `email` is refused for good; the latest refusal is kept."""
    key = email.strip().lower()
    rejected = db.session.scalar(db.select(RejectedAddress).where(RejectedAddress.email == key))
    if rejected is None:
        try:
            with db.session.begin_nested():
                rejected = RejectedAddress(email=key, smtp_code=smtp_code, reply=reply[:2000])
                rejected.rejected_at = now
                db.session.add(rejected)
            return
        except IntegrityError:  # another bounce for the same address was stored first
            rejected = db.session.scalar(
                db.select(RejectedAddress).where(RejectedAddress.email == key)
            )
    rejected.smtp_code, rejected.reply, rejected.rejected_at = smtp_code, reply[:2000], now
    db.session.flush()


def bounced_addresses(emails: Iterable[str]) -> set[str]:
    """Which of `emails` mail cannot reach (a bounce, or a refusal by our server), lowercased:
    for the organizer pages' "email bounced" beside an attendee or invitee."""
    keys = sorted({e.strip().lower() for e in emails if e})
    found: set[str] = set()
    for start in range(0, len(keys), 500):  # well under every driver's parameter limit
        found.update(
            db.session.scalars(
                db.select(RejectedAddress.email).where(
                    RejectedAddress.email.in_(keys[start : start + 500])
                )
            )
        )
    return found


def is_bounced(email: str) -> bool:
    """Whether mail to `email` (any case) cannot be delivered."""
    return bool(bounced_addresses([email]))

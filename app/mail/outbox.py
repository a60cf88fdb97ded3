"""Queueing email: a message is a row in the caller's transaction, delivered after commit."""

import logging
import re
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func

from app.db_types import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from app.mail.qr import QR_CONTENT_ID

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# Kinds queued whatever MAIL_MAX_PER_RECIPIENT_PER_HOUR says. Only an organizer's change to an
# event, or a seat freeing up, causes them: no visitor can repeat them at will, each happens at
# most once per attendee per real change, and dropping one would send a person to a meeting that
# moved or was called off, or lose them the seat they waited for (its check-in code). Everything
# else, including every message a stranger can trigger with someone's address (answers, "lost
# your link?", sign-in unlock links), is subject to the limit. They still count towards it.
ALWAYS_SENT_KINDS = frozenset(
    {
        "event_changed",
        "event_changed_waitlisted",
        "event_cancelled",
        "event_cancelled_waitlisted",
        "rsvp_promoted",
    }
)


def header_safe(value: str, limit: int = 300) -> str:
    """One line, no control characters: safe to put in a mail header whatever a user typed."""
    return _CONTROL.sub(" ", value).strip()[:limit]


def is_deliverable(address: str) -> bool:
    """False for the reserved `.invalid` top-level domain (RFC 2606), which never receives mail."""
    return not address.strip().rstrip(".").lower().endswith(".invalid")


def recent_messages_to(address: str) -> int:
    """How many messages were queued for `address` (any case) in the last hour."""
    return db.session.scalar(
        db.select(func.count(OutboxMessage.id)).where(
            func.lower(OutboxMessage.recipient_email) == address.lower(),
            OutboxMessage.created_at > utcnow() - timedelta(hours=1),
        )
    )


def over_recipient_limit(address: str, kind: str) -> bool:
    """True when `address` has had its hourly share of mail and `kind` may be held back.

    The limit stops anyone from turning the app into a mail cannon aimed at one inbox (twenty
    answers sent with one address would otherwise send twenty emails), whatever the source.
    """
    if kind in ALWAYS_SENT_KINDS:
        return False
    return recent_messages_to(address) >= current_app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"]


def queue_email(
    template: str,
    kind: str,
    *,
    to_name: str,
    to_email: str,
    language: str,
    context: dict,
    ics: str | None = None,
    ics_method: str | None = None,
    rsvp_id: int | None = None,
    qr_url: str | None = None,
) -> OutboxMessage | None:
    """Render `templates/email/<template>.{subject.txt,txt,html}` in `language` and queue it.

    `kind` names the message (e.g. "rsvp_confirmed"); templates receive it to pick their wording.
    With `qr_url`, the message carries that URL as an inline QR code image, which the HTML shows
    as `cid:{{ qr_cid }}`.

    Rendering now, rather than at delivery, freezes what the person was told at the moment it
    happened, in their language.

    Nothing is queued (None) for an address under the reserved `.invalid` domain, such as the
    placeholder given to walk-ins without an email: it can never be delivered. Nor is it
    queued (None, and logged) when the address has had MAIL_MAX_PER_RECIPIENT_PER_HOUR messages
    in the last hour, unless `kind` is one of ALWAYS_SENT_KINDS.
    """
    if not is_deliverable(to_email):
        return None
    address = header_safe(to_email, 254)
    if over_recipient_limit(address, kind):
        log.warning(
            "not queued: %s message to %s, over %s messages to that address this hour",
            kind,
            address,
            current_app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"],
        )
        return None
    with force_locale(language):
        context = {**context, "lang": language, "kind": kind}
        if qr_url:
            context["qr_cid"] = QR_CONTENT_ID
        subject = render_template(f"email/{template}.subject.txt", **context)
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    message = OutboxMessage(
        kind=kind,
        recipient_name=header_safe(to_name, 120),
        recipient_email=address,
        language=language,
        subject=header_safe(subject),
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
        rsvp_id=rsvp_id,
        qr_url=qr_url,
    )
    db.session.add(message)
    return message

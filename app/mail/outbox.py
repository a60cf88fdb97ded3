"""Queueing email: a message is a row in the caller's transaction, delivered after commit."""

import re

from flask import render_template
from flask_babel import force_locale

from app.extensions import db
from app.mail.models import OutboxMessage
from app.mail.qr import QR_CONTENT_ID

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_safe(value: str, limit: int = 300) -> str:
    """One line, no control characters: safe to put in a mail header whatever a user typed."""
    return _CONTROL.sub(" ", value).strip()[:limit]


def is_deliverable(address: str) -> bool:
    """False for the reserved `.invalid` top-level domain (RFC 2606), which never receives mail."""
    return not address.strip().rstrip(".").lower().endswith(".invalid")


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
    placeholder given to walk-ins without an email: it can never be delivered. Every other
    message is queued; the per-recipient hourly limit may delay it (app/mail/limits.py).
    """
    if not is_deliverable(to_email):
        return None
    address = header_safe(to_email, 254)
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

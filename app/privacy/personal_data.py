"""Everything stored about one attendee, as they download it from their personal page (the
right of access): their RSVP, their ID details decrypted, their invitation, what we emailed them.

Only their own data, and no internal ids but their RSVP's: no tokens or nonces, no other
attendee, no organizer. Keys are stable English names; values are as stored (times in UTC).
"""

from __future__ import annotations

import enum
from datetime import datetime

from app.extensions import db
from app.inbound.models import InboundMessage
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.privacy.encryption import EncryptionUnavailable, InvalidToken
from app.rsvps.models import Rsvp
from app.security_lists.models import SecurityDetails
from app.security_lists.validation import masked

# The RSVP's own columns that are about the person or their answer; the rest (search text,
# folded email, link nonce, calendar sequence) are machinery derived from these.
RSVP_FIELDS = (
    "name",
    "email",
    "organization",
    "job_title",
    "phone",
    "language",
    "status",
    "guests",
    "needs",
    "crossing_document",
    "viewer_timezone",
    "share_with_host",
    "waitlisted_at",
    "checked_in_at",
    "created_at",
    "updated_at",
)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def personal_data(rsvp: Rsvp, now: datetime) -> dict:
    """The attendee's data as one JSON-ready dict."""
    event = rsvp.event
    return {
        "exported_at": now.isoformat(),
        "event": {
            "title": event.title(rsvp.language),
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
            "timezone": event.timezone,
        },
        "rsvp": {"id": rsvp.id} | {name: _plain(getattr(rsvp, name)) for name in RSVP_FIELDS},
        "calendar_answer": {
            "answer": rsvp.calendar_partstat,
            "comment": rsvp.calendar_comment,
            "answered_at": _plain(rsvp.calendar_replied_at),
        },
        "security_details": _security_details(rsvp),
        "invitation": _invitation(rsvp),
        "emails_sent_to_you": _emails(rsvp),
        "calendar_messages_received": _calendar_messages(rsvp),
    }


def _security_details(rsvp: Rsvp) -> dict | None:
    # The consent columns and the encrypted value apart: details whose key is gone (or a site
    # without keys) still show what was consented to, and when.
    row = db.session.execute(
        db.select(
            SecurityDetails.id,
            SecurityDetails.notice_version,
            SecurityDetails.consented_at,
            SecurityDetails.updated_at,
        ).where(SecurityDetails.rsvp_id == rsvp.id)
    ).first()
    if row is None:
        return None
    try:
        values = db.session.scalar(
            db.select(SecurityDetails.values).where(SecurityDetails.id == row.id)
        )
    except (InvalidToken, EncryptionUnavailable):
        values = None  # nobody can read them any more (app/privacy/encryption.py)
    if values and values.get("id_number"):
        # Masked as on the personal page: the link to this file travels in every confirmation
        # and reminder, and a forwarded email must not hand over a passport number.
        values = values | {"id_number": masked(values["id_number"])}
    return {
        "values": values,
        "privacy_notice_version": row.notice_version,
        "consented_at": _plain(row.consented_at),
        "updated_at": _plain(row.updated_at),
    }


def _invitation(rsvp: Rsvp) -> dict | None:
    invitation = db.session.scalar(
        db.select(Invitation).where(
            Invitation.event_id == rsvp.event_id, Invitation.email_key == rsvp.email_key
        )
    )
    if invitation is None:
        return None
    return {
        "name": invitation.name,
        "email": invitation.email,
        "language": invitation.language,
        "times_sent": invitation.send_count,
        "last_sent_at": _plain(invitation.last_sent_at),
    }


def _emails(rsvp: Rsvp) -> list[dict]:
    messages = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.rsvp_id == rsvp.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "subject": message.subject,
            "to": message.recipient_email,
            "status": message.status.value,
            "created_at": _plain(message.created_at),
            "sent_at": _plain(message.sent_at),
        }
        for message in messages
    ]


def _calendar_messages(rsvp: Rsvp) -> list[dict]:
    messages = db.session.scalars(
        db.select(InboundMessage)
        .where(InboundMessage.rsvp_id == rsvp.id)
        .order_by(InboundMessage.received_at, InboundMessage.id)
    )
    return [
        {
            "from": message.envelope_from,
            "received_at": _plain(message.received_at),
            "status": message.status.value,
        }
        for message in messages
    ]

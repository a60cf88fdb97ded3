"""The one email an inbound answer causes itself: the reply to a proposal of a new time.

Every other email an answer causes (confirmation, waitlist, promotion) comes from the RSVP
services it goes through, as for an answer on the web.
"""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.invitations.models import Invitation
from app.invitations.notifications import invitation_url
from app.mail.models import OutboxMessage
from app.mail.outbox import queue_email
from app.rsvps.models import Rsvp
from app.rsvps.notifications import attendee_links
from app.rsvps.queries import waitlist_position
from app.rsvps.services import LINK_EMAIL_INTERVAL

COUNTER_REPLY = "calendar_counter"


def queue_counter_reply(person: Rsvp | Invitation, now: datetime) -> bool:
    """Tell someone whose calendar proposed a new time that nothing changed, with their
    personal link to answer there; in their language, at most once per LINK_EMAIL_INTERVAL.
    Returns whether an email was queued."""
    recent = db.session.scalar(
        db.select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == COUNTER_REPLY,
            db.func.lower(OutboxMessage.recipient_email) == person.email.strip().lower(),
            OutboxMessage.created_at > now - LINK_EMAIL_INTERVAL,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    db.session.flush()  # links need ids
    if isinstance(person, Rsvp):
        link_url, event_url = attendee_links(person)
        context = {"status": person.status.value, "position": waitlist_position(person)}
    else:
        # An invite-only event's page is the invitation's own, like an attendee's.
        link_url = event_url = invitation_url(person, person.language)
        context = {"status": None, "position": None}
    message = queue_email(
        "calendar_counter",
        COUNTER_REPLY,
        to_name=person.name,
        to_email=person.email,
        language=person.language,
        context={
            **context,
            "name": person.name,
            "event": person.event,
            "link_url": link_url,
            "event_url": event_url,
        },
        rsvp_id=person.id if isinstance(person, Rsvp) else None,
    )
    return message is not None

"""Outgoing mail with answers by email on (issue 11): invitations a calendar app can answer,
and each message's own bounce address as its SMTP envelope sender (VERP).

Invitations are read by icalendar and by vobject (as in test_ical_outlook.py), and must agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr

import icalendar
import pytest
import vobject

from app.events.notifications import queue_event_cancelled
from app.extensions import db
from app.ical import calendar_invite
from app.inbound.addresses import BounceTarget, ReplyTarget, bounce_address, reply_address, resolve
from app.invitations import services as invitation_services
from app.mail.models import OutboxMessage
from app.mail.sender import deliver_pending
from app.rsvps import services
from app.tokens import revoke_tokens
from tests.test_ical_outlook import calendar_parts, with_unknown_zone_names

DOMAIN = "answers.convoca.test"
DEFAULT_ORGANIZER = "mailto:events@convoca.invalid"


@pytest.fixture
def answers_by_email(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN


def delivered(smtp, address: str) -> list[EmailMessage]:
    """What the outbox delivers to `address` now."""
    smtp.mailbox.clear()
    deliver_pending()
    return smtp.mailbox.to(address)


def read_invitation(message: EmailMessage, method: str) -> dict:
    """ORGANIZER and ATTENDEE of an emailed invitation, as icalendar and vobject both read
    them; fails if they disagree."""
    [text, _attached] = calendar_parts(message)
    cal = icalendar.Calendar.from_ical(text)
    assert cal["METHOD"] == method
    [vevent] = cal.walk("VEVENT")
    attendee = vevent["ATTENDEE"]
    first = {
        "uid": str(vevent["UID"]),
        "sequence": int(vevent["SEQUENCE"]),
        "organizer": str(vevent["ORGANIZER"]),
        "organizer_cn": str(vevent["ORGANIZER"].params["CN"]),
        "attendee": str(attendee),
        "partstat": str(attendee.params["PARTSTAT"]),
        "rsvp": str(attendee.params["RSVP"]),
    }
    other = vobject.readOne(with_unknown_zone_names(text), validate=True)
    assert other.method.value == method
    event = other.vevent
    second = {
        "uid": event.uid.value,
        "sequence": int(event.sequence.value),
        "organizer": event.organizer.value,
        "organizer_cn": event.organizer.params["CN"][0],
        "attendee": event.attendee.value,
        "partstat": event.attendee.params["PARTSTAT"][0],
        "rsvp": event.attendee.params["RSVP"][0],
    }
    assert second == first
    return first


def test_a_request_names_the_attendees_reply_address_and_asks_for_their_answer(
    app, answers_by_email, make_event, answer_rsvp, smtp
):
    event = make_event(sequence=2)
    rsvp = answer_rsvp(event, email="ana@example.com")
    [message] = delivered(smtp, "ana@example.com")

    invite = read_invitation(message, "REQUEST")
    address = reply_address(rsvp)
    assert address.endswith(f"@{DOMAIN}")
    assert invite == {
        "uid": event.uid,
        "sequence": 2,
        "organizer": f"mailto:{address}",
        "organizer_cn": app.config["ORGANIZER_NAME"],
        "attendee": "mailto:ana@example.com",
        "partstat": "ACCEPTED",
        "rsvp": "TRUE",
    }
    # The answer Outlook sends to that address comes back to this very RSVP.
    target = resolve(invite["organizer"].removeprefix("mailto:"))
    assert isinstance(target, ReplyTarget) and target.rsvp.id == rsvp.id
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]  # only the ORGANIZER changes


def test_cancellations_name_the_same_organizer_as_the_request(
    app, answers_by_email, make_event, answer_rsvp, smtp
):
    event = make_event()
    rsvp = answer_rsvp(event, email="ana@example.com")
    [request] = delivered(smtp, "ana@example.com")
    organizer = read_invitation(request, "REQUEST")["organizer"]

    services.cancel_rsvp(rsvp, datetime.now(UTC))  # she withdraws
    db.session.commit()
    [withdrawn] = delivered(smtp, "ana@example.com")
    cancel = read_invitation(withdrawn, "CANCEL")
    assert cancel["organizer"] == organizer
    assert (cancel["partstat"], cancel["rsvp"]) == ("DECLINED", "FALSE")

    other = answer_rsvp(event, email="ben@example.com")
    delivered(smtp, "ben@example.com")
    queue_event_cancelled(event, note=None)  # an event-wide notice goes the same way
    db.session.commit()
    [called_off] = delivered(smtp, "ben@example.com")
    assert read_invitation(called_off, "CANCEL")["organizer"] == f"mailto:{reply_address(other)}"


def test_without_a_domain_invitations_stay_as_they_were(app, make_event, answer_rsvp, smtp):
    assert app.config["INBOUND_EMAIL_DOMAIN"] is None
    rsvp = answer_rsvp(make_event(), email="ana@example.com")
    [message] = delivered(smtp, "ana@example.com")
    invite = read_invitation(message, "REQUEST")
    assert (invite["organizer"], invite["partstat"], invite["rsvp"]) == (
        DEFAULT_ORGANIZER,
        "ACCEPTED",
        "FALSE",
    )
    assert reply_address(rsvp) is None


def test_a_tentative_answer_from_the_calendar_stays_tentative_in_updates(
    app, answers_by_email, make_event, answer_rsvp
):
    rsvp = answer_rsvp(make_event())
    rsvp.calendar_partstat = "TENTATIVE"
    cal = calendar_invite(rsvp.event, rsvp, "REQUEST", datetime.now(UTC))
    [vevent] = cal.walk("VEVENT")
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"


def test_an_invite_only_invitation_can_be_accepted_from_the_calendar(
    app, answers_by_email, board_meeting, invite, smtp
):
    event = board_meeting(sequence=4)
    [invitation] = invite(event, "Juan Pérez <juan@ejemplo.mx>")
    [message] = delivered(smtp, "juan@ejemplo.mx")

    [calendar_part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    invitation_request = read_invitation(message, "REQUEST")
    assert invitation_request == {
        "uid": event.uid,
        "sequence": 4,
        "organizer": f"mailto:{reply_address(invitation)}",
        "organizer_cn": app.config["ORGANIZER_NAME"],
        "attendee": "mailto:juan@ejemplo.mx",
        "partstat": "NEEDS-ACTION",
        "rsvp": "TRUE",
    }
    target = resolve(reply_address(invitation))
    assert isinstance(target, ReplyTarget) and target.invitation.id == invitation.id
    assert "answer from your calendar app" in message.get_body(("plain",)).get_content()


def test_invitations_carry_no_calendar_request_unless_it_can_be_answered(
    app, board_meeting, make_event, invite, answer_rsvp, smtp
):
    # Feature off: as before, the personal link alone.
    invite(board_meeting(), "juan@ejemplo.mx")
    [message] = delivered(smtp, "juan@ejemplo.mx")
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert "calendar app" not in message.get_body(("plain",)).get_content()

    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN
    # A public event's invitation is a link to its page, as before.
    invite(make_event(), "maria@ejemplo.mx")
    [message] = delivered(smtp, "maria@ejemplo.mx")
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]

    # Someone who answered has their RSVP's own invitation: a resend adds none.
    meeting = board_meeting()
    [invitation] = invite(meeting, "luis@ejemplo.mx")
    answer_rsvp(meeting, email="luis@ejemplo.mx")
    delivered(smtp, "luis@ejemplo.mx")  # the first invitation, and the confirmation
    invitation_services.resend(invitation, "en", datetime.now(UTC))
    db.session.commit()
    [resent] = delivered(smtp, "luis@ejemplo.mx")
    assert not [p for p in resent.walk() if p.get_content_type() == "text/calendar"]


def test_a_revoked_reply_address_no_longer_resolves(
    app, answers_by_email, make_event, board_meeting, answer_rsvp, invite
):
    rsvp = answer_rsvp(make_event())
    old = reply_address(rsvp)
    assert resolve(old).rsvp.id == rsvp.id
    revoke_tokens(rsvp)
    db.session.commit()
    assert resolve(old) is None
    assert resolve(reply_address(rsvp)).rsvp.id == rsvp.id

    [invitation] = invite(board_meeting(), "juan@ejemplo.mx")
    address = reply_address(invitation)
    assert resolve(address).invitation.id == invitation.id
    invitation_services.revoke(invitation, datetime.now(UTC))
    db.session.commit()
    assert resolve(address) is None


def test_the_envelope_sender_is_the_messages_own_bounce_address(
    app, answers_by_email, make_event, answer_rsvp, smtp
):
    answer_rsvp(make_event(), email="ana@example.com")
    [outbox] = db.session.scalars(db.select(OutboxMessage)).all()
    [message] = delivered(smtp, "ana@example.com")

    assert message.envelope_from == bounce_address(outbox)
    local, _, domain = message.envelope_from.partition("@")
    assert local.startswith(f"{app.config['INBOUND_BOUNCE_LOCAL_PART']}+") and domain == DOMAIN
    target = resolve(message.envelope_from)
    assert isinstance(target, BounceTarget) and target.message.id == outbox.id
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]  # the header is unchanged


def test_without_a_domain_the_envelope_sender_is_the_from_address(
    app, make_event, answer_rsvp, smtp
):
    answer_rsvp(make_event(), email="ana@example.com")
    [message] = delivered(smtp, "ana@example.com")
    assert message.envelope_from == parseaddr(app.config["MAIL_DEFAULT_SENDER"])[1]

"""Answers from calendar apps: stored as received, applied through the RSVP rules.

Each message is a fixture written as its client writes it (tests/fixtures/inbound), parsed by
the real `email` package and stored through the receivers' own entry point.
"""

from __future__ import annotations

import struct
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy.exc import OperationalError

from app.audit.models import AuditEntry
from app.events.models import EventStatus
from app.extensions import db
from app.inbound import processing, tnef
from app.inbound.addresses import reply_address
from app.inbound.itip import NotACalendarReply, parse_reply
from app.inbound.models import InboundMessage, InboundSource, InboundStatus
from app.inbound.processing import Reason, apply_again, dismiss, process_received
from app.inbound.receiving import store_inbound
from app.invitations import services as invitation_services
from app.mail.models import OutboxMessage
from app.rsvps import services
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import seats_taken

FIXTURES = Path(__file__).parent / "fixtures" / "inbound"
UID = "8c1b4a56-0c55-4f0e-9a4e-2d1e77b0c6d1@convoca"  # the event every fixture answers
ANA = "ana.lopez@gmail.com"  # Google Calendar
ROBERTO = "roberto.garza@contoso.com"  # Outlook and Exchange (who writes Roberto.Garza@…)
LUCIA = "lucia.fernandez@icloud.com"  # Apple Calendar


@pytest.fixture(autouse=True)
def answers_by_email(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = "reply.example.org"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def receive(name: str, addressee) -> InboundMessage:
    """Store a fixture for the reply address of `addressee` (an RSVP or an invitation), as
    the SMTP receiver does."""
    return receive_raw(fixture(name), addressee)


def receive_raw(raw: bytes, addressee) -> InboundMessage:
    message = store_inbound(
        raw,
        recipient=reply_address(addressee),
        envelope_from="someone@example.com",
        source=InboundSource.SMTP,
    )
    assert message is not None
    return message


def apply(message: InboundMessage) -> InboundMessage:
    process_received()
    return db.session.get(InboundMessage, message.id)


def emails(kind: str, to: str | None = None) -> list[OutboxMessage]:
    query = db.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.recipient_email == to)
    return list(db.session.scalars(query))


@pytest.fixture
def event(make_event):
    def make(**fields):
        return make_event(**({"uid": UID, "capacity": 50} | fields))

    return make


# Reading the clients


@pytest.mark.parametrize(
    ("name", "method", "partstat", "attendee", "guests"),
    [
        ("gmail_decline.eml", "REPLY", "DECLINED", ANA, 0),
        ("gmail_accept_guests.eml", "REPLY", "ACCEPTED", ANA, 3),
        ("outlook_decline.eml", "REPLY", "DECLINED", "Roberto.Garza@Contoso.com", None),
        ("outlook_accept.eml", "REPLY", "ACCEPTED", "Roberto.Garza@Contoso.com", None),
        ("outlook_counter.eml", "COUNTER", "TENTATIVE", "Roberto.Garza@Contoso.com", None),
        ("apple_tentative.eml", "REPLY", "TENTATIVE", LUCIA, None),
        ("exchange_winmail_decline.eml", "REPLY", "DECLINED", ROBERTO, None),
    ],
)
def test_every_clients_answer_is_read(name, method, partstat, attendee, guests):
    reply = parse_reply(fixture(name))
    assert (reply.method, reply.uid, reply.sequence) == (method, UID, 0)
    assert (reply.partstat, reply.attendee_email, reply.guests) == (partstat, attendee, guests)
    assert reply.dtstamp is not None and reply.dtstamp.tzinfo is not None


def test_notes_are_read_from_comment_from_google_and_from_a_winmail_body():
    assert parse_reply(fixture("outlook_decline.eml")).comment == (
        "Lo siento, ese día estaré en Monterrey. Enviaré a alguien de mi equipo."
    )
    assert parse_reply(fixture("gmail_accept_guests.eml")).comment == (
        "Llevo a tres colegas de la maquiladora"
    )
    assert parse_reply(fixture("exchange_winmail_decline.eml")).comment == (
        "No podré asistir; estaré de viaje."
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("exchange_winmail_note.eml", "tnef_without_calendar"),
        ("garbled.eml", "unreadable_calendar"),
        ("out_of_office.eml", "auto_reply"),
    ],
)
def test_what_is_not_a_calendar_answer_says_why(name, reason):
    with pytest.raises(NotACalendarReply) as caught:
        parse_reply(fixture(name))
    assert caught.value.reason == reason


def test_a_typed_reply_without_a_calendar_is_not_an_answer():
    raw = (
        b"From: Ana <ana.lopez@gmail.com>\r\nTo: x@reply.example.org\r\nSubject: Re: Board\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"All\xc3\xad estar\xc3\xa9\r\n"
    )
    with pytest.raises(NotACalendarReply) as caught:
        parse_reply(raw)
    assert caught.value.reason == "no_calendar"


# Applying answers


def test_a_gmail_decline_cancels_the_web_rsvp_and_promotes_the_waitlist(event, answer_rsvp):
    meeting = event(capacity=1)
    ana = answer_rsvp(meeting, name="Ana López", email=ANA)
    waiting = answer_rsvp(meeting, email="bea@example.com")
    assert (ana.status, waiting.status) == (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)

    message = apply(receive("gmail_decline.eml", ana))

    assert message.status is InboundStatus.APPLIED
    assert "now not attending" in message.detail
    assert message.rsvp_id == ana.id
    ana, waiting = db.session.get(Rsvp, ana.id), db.session.get(Rsvp, waiting.id)
    assert ana.status is RsvpStatus.DECLINED
    assert ana.calendar_partstat == "DECLINED"
    assert ana.calendar_replied_at == message.received_at
    assert waiting.status is RsvpStatus.CONFIRMED
    [declined] = emails("rsvp_declined", ANA)
    assert declined.ics_method == "CANCEL"  # their calendar entry goes too
    assert emails("rsvp_promoted", "bea@example.com")


def test_an_outlook_accept_without_method_or_organizer_seats_the_invitee_again(
    board_meeting, invite, answer_rsvp
):
    meeting = board_meeting(uid=UID, capacity=10)
    [invitation] = invite(meeting, f"Roberto Garza <{ROBERTO}>")
    roberto = answer_rsvp(meeting, invitation, attending=False, email=ROBERTO)
    assert roberto.status is RsvpStatus.DECLINED

    # He changes his mind in Outlook, on the invitation's calendar entry: the answer goes to
    # the invitation's address and names him as Roberto.Garza@Contoso.com.
    message = apply(receive("outlook_accept.eml", invitation))

    assert message.status is InboundStatus.APPLIED, message.detail
    assert message.rsvp_id == roberto.id
    roberto = db.session.get(Rsvp, roberto.id)
    assert roberto.status is RsvpStatus.CONFIRMED
    assert roberto.calendar_partstat == "ACCEPTED"
    assert "names" not in message.detail  # only the letter case differs
    [confirmed] = emails("rsvp_confirmed", ROBERTO)
    assert confirmed.ics_method == "REQUEST"


def test_an_answer_from_another_address_is_applied_to_the_addressee_and_noted(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, attending=False, email="rgarza@contoso.com")  # an alias of his

    message = apply(receive("outlook_accept.eml", rsvp))

    assert message.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED
    assert "names Roberto.Garza@Contoso.com" in message.detail


def test_a_decline_from_the_addressees_own_address_is_applied_though_it_names_an_alias(
    event, answer_rsvp
):
    meeting = event()
    rsvp = answer_rsvp(meeting, email="rgarza@contoso.com")
    raw = fixture("outlook_decline.eml").replace(
        b"From: Roberto Garza <Roberto.Garza@Contoso.com>", b"From: Roberto <RGarza@contoso.com>"
    )

    message = apply(receive_raw(raw, rsvp))

    assert message.status is InboundStatus.APPLIED, message.detail
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.DECLINED


def test_a_decline_from_someone_elses_calendar_waits_for_an_organizer(
    event, answer_rsvp, make_user
):
    # Maria forwarded her Google invitation to Ana, whose "No" comes to Maria's reply address.
    meeting = event()
    maria = answer_rsvp(meeting, email="maria@example.com")

    message = apply(receive("gmail_decline.eml", maria))

    assert (message.status, message.reason) == (InboundStatus.UNAPPLIED, Reason.OTHER_PERSON)
    assert ANA in message.detail and "maria@example.com" in message.detail
    assert db.session.get(Rsvp, maria.id).status is RsvpStatus.CONFIRMED
    assert not emails("rsvp_declined")

    # An organizer who knows it is Maria's answer after all applies it.
    apply_again(message, datetime.now(UTC), make_user())
    db.session.commit()
    message = db.session.get(InboundMessage, message.id)
    assert message.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, maria.id).status is RsvpStatus.DECLINED
    assert f"names {ANA}" in message.detail


def test_the_note_typed_in_the_calendar_is_kept(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ROBERTO)

    apply(receive("outlook_decline.eml", rsvp))

    rsvp = db.session.get(Rsvp, rsvp.id)
    assert rsvp.calendar_comment == (
        "Lo siento, ese día estaré en Monterrey. Enviaré a alguien de mi equipo."
    )


def test_an_answer_to_an_invitation_since_replaced_changes_nothing(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ANA)
    meeting.sequence = 2  # the event moved: two newer invitations went out since
    rsvp.ical_sequence_sent = 2
    db.session.commit()

    message = apply(receive("gmail_decline.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.STALE)
    assert "SEQUENCE 0" in message.detail
    rsvp = db.session.get(Rsvp, rsvp.id)
    assert rsvp.status is RsvpStatus.CONFIRMED
    assert rsvp.calendar_partstat is None
    assert not emails("rsvp_declined")


def test_an_answer_to_the_last_invitation_sent_counts_though_the_event_moved_on(event, answer_rsvp):
    # Unpublished and published again: the event's SEQUENCE rose, but no new invitation went to
    # the attendee, whose calendar still holds (and answers) the one they were sent.
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ANA)
    assert rsvp.ical_sequence_sent == 0  # the confirmation's REQUEST
    meeting.sequence = 2
    db.session.commit()

    message = apply(receive("gmail_decline.eml", rsvp))

    assert message.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.DECLINED


def test_accepting_an_entry_we_cancelled_changes_nothing(event, answer_rsvp):
    """A decline takes the entry away with a CANCEL (a newer SEQUENCE for that person): an
    accept of the old invitation, arriving late, is older than that."""
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ROBERTO)
    assert apply(receive("outlook_decline.eml", rsvp)).status is InboundStatus.APPLIED

    message = apply(receive("outlook_accept.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.STALE)
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.DECLINED


def test_an_answer_is_compared_with_earlier_ones_without_parsing_them_again(
    event, answer_rsvp, monkeypatch
):
    meeting = event(guest_limit=5)
    rsvp = answer_rsvp(meeting, email=ANA)
    first = apply(receive("gmail_accept_guests.eml", rsvp))
    assert first.status is InboundStatus.APPLIED
    assert (first.reply_uid, first.reply_sequence, first.reply_partstat) == (UID, 0, "ACCEPTED")
    assert first.reply_dtstamp == "2025-03-01T18:55:30.000000"  # DTSTAMP, in UTC
    for _ in range(3):  # the same answer again (ignored), then counted as applied too
        receive("gmail_accept_guests.eml", rsvp)
    process_received()
    db.session.execute(db.update(InboundMessage).values(status=InboundStatus.APPLIED))
    db.session.commit()
    parsed = []
    real = processing.parse_reply

    def counting_parse(raw):
        parsed.append(raw)
        return real(raw)

    monkeypatch.setattr(processing, "parse_reply", counting_parse)

    late = apply(receive("gmail_decline.eml", rsvp))

    assert (late.status, late.reason) == (InboundStatus.IGNORED, Reason.SUPERSEDED)
    assert "is a later answer" in late.detail
    assert len(parsed) == 1  # the new answer only


def test_the_same_answer_received_twice_is_applied_once(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ANA, guests=0)
    first = receive("gmail_accept_guests.eml", rsvp)
    second = receive("gmail_accept_guests.eml", rsvp)  # by SMTP and again by IMAP, say

    process_received()

    first, second = (db.session.get(InboundMessage, m.id) for m in (first, second))
    assert first.status is InboundStatus.APPLIED
    assert (second.status, second.reason) == (InboundStatus.IGNORED, Reason.DUPLICATE)
    assert f"message {first.id}" in second.detail


def test_a_later_answer_applied_first_is_not_undone_by_an_earlier_one(event, answer_rsvp):
    meeting = event(guest_limit=5)
    rsvp = answer_rsvp(meeting, email=ANA)
    # Gmail's accept (18:55) overtakes its decline (18:45) on the way.
    assert apply(receive("gmail_accept_guests.eml", rsvp)).status is InboundStatus.APPLIED

    late = apply(receive("gmail_decline.eml", rsvp))

    assert (late.status, late.reason) == (InboundStatus.IGNORED, Reason.SUPERSEDED)
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED


def test_a_proposed_new_time_changes_nothing_and_emails_the_personal_link(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ROBERTO, language="es")
    before = len(emails("calendar_counter"))

    message = apply(receive("outlook_counter.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.COUNTER)
    assert "¿Podríamos empezar a las 10?" in message.detail
    rsvp = db.session.get(Rsvp, rsvp.id)
    assert rsvp.status is RsvpStatus.CONFIRMED
    assert rsvp.calendar_partstat is None
    [email] = emails("calendar_counter", ROBERTO)[before:]
    assert email.language == "es"
    assert email.rsvp_id == rsvp.id
    assert "/rsvp/" in email.body_text  # their personal link
    assert email.ics is None

    # Proposing again at once is not answered again.
    again = apply(receive("outlook_counter.eml", rsvp))
    assert "emailed lately" in again.detail
    assert len(emails("calendar_counter", ROBERTO)) == 1


def test_an_invitee_proposing_a_new_time_is_emailed_their_invitation_link(board_meeting, invite):
    meeting = board_meeting(uid=UID)
    [invitation] = invite(meeting, f"Roberto Garza <{ROBERTO}>", language="es")

    message = apply(receive("outlook_counter.eml", invitation))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.COUNTER)
    assert db.session.scalar(db.select(Rsvp)) is None
    [email] = emails("calendar_counter", ROBERTO)
    assert email.language == "es"
    assert "/invitation/" in email.body_text
    assert "Roberto Garza" in email.body_text


def test_an_answer_for_a_cancelled_event_is_ignored(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ANA)
    meeting.status = EventStatus.CANCELLED
    db.session.commit()

    message = apply(receive("gmail_decline.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.EVENT_CANCELLED)
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED


def test_an_answer_after_the_rsvp_deadline_is_ignored(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ANA)
    meeting.rsvp_deadline = datetime.now(UTC)
    db.session.commit()

    message = apply(receive("gmail_decline.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.RSVPS_CLOSED)


def test_an_answer_about_another_event_is_ignored(make_event, answer_rsvp):
    other = make_event()  # its own UID
    rsvp = answer_rsvp(other, email=ANA)

    message = apply(receive("gmail_decline.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.WRONG_EVENT)
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED


def test_tentative_keeps_the_seat_and_is_recorded_without_another_email(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=LUCIA)
    before = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))

    message = apply(receive("apple_tentative.eml", rsvp))

    assert message.status is InboundStatus.APPLIED
    assert "no change" in message.detail
    rsvp = db.session.get(Rsvp, rsvp.id)
    assert rsvp.status is RsvpStatus.CONFIRMED
    assert rsvp.calendar_partstat == "TENTATIVE"
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == before


def test_a_tentative_invitee_gets_a_seat_and_an_invitation_that_says_tentative(
    board_meeting, invite
):
    meeting = board_meeting(uid=UID)
    [invitation] = invite(meeting, f"Lucía Fernández <{LUCIA}>", language="es")

    message = apply(receive("apple_tentative.eml", invitation))

    assert message.status is InboundStatus.APPLIED
    rsvp = db.session.get(Rsvp, message.rsvp_id)
    assert (rsvp.status, rsvp.calendar_partstat) == (RsvpStatus.CONFIRMED, "TENTATIVE")
    [confirmed] = emails("rsvp_confirmed", LUCIA)
    assert confirmed.language == "es"
    attendee = Calendar.from_ical(confirmed.ics).walk("VEVENT")[0]["ATTENDEE"]
    assert attendee.params["PARTSTAT"] == "TENTATIVE"


def test_an_invitee_accepting_in_their_calendar_gets_an_rsvp(board_meeting, invite):
    meeting = board_meeting(uid=UID, guest_limit=5)
    [invitation] = invite(meeting, f"Ana López <{ANA}>", language="es")

    message = apply(receive("gmail_accept_guests.eml", invitation))

    assert message.status is InboundStatus.APPLIED, message.detail
    rsvp = db.session.get(Rsvp, message.rsvp_id)
    assert (rsvp.email, rsvp.name, rsvp.organization) == (ANA, "Ana López", "")
    assert (rsvp.status, rsvp.guests, rsvp.language) == (RsvpStatus.CONFIRMED, 3, "es")
    assert rsvp.calendar_comment == "Llevo a tres colegas de la maquiladora"
    assert not rsvp.share_with_host  # consent is never assumed
    assert emails("rsvp_confirmed", ANA)


def test_guests_beyond_the_events_limit_are_cut_to_it_and_noted(board_meeting, invite):
    meeting = board_meeting(uid=UID, guest_limit=1)
    [invitation] = invite(meeting, f"Ana López <{ANA}>")

    message = apply(receive("gmail_accept_guests.eml", invitation))

    assert message.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, message.rsvp_id).guests == 1
    assert "Asked for 3 guests; the event allows 1: recorded with 1." in message.detail


def test_googles_zero_guests_keeps_the_guests_given_on_the_web(event, answer_rsvp):
    meeting = event(guest_limit=2, capacity=1)
    waiting = answer_rsvp(meeting, email=ANA, guests=2, join_waitlist=True)
    assert waiting.status is RsvpStatus.WAITLISTED

    # gmail_decline says X-NUM-GUESTS=0; an accept with 0 must not shrink the party.
    rsvp = db.session.get(Rsvp, waiting.id)
    outcome = services.answer_from_calendar(
        meeting, "ACCEPTED", datetime.now(UTC), rsvp=rsvp, guests=0
    )
    db.session.commit()
    assert outcome.result is services.Result.UNCHANGED
    assert db.session.get(Rsvp, waiting.id).guests == 2


def test_an_invitee_declining_in_their_calendar_is_recorded_as_not_attending(board_meeting, invite):
    meeting = board_meeting(uid=UID)
    [invitation] = invite(meeting, f"Roberto Garza <{ROBERTO}>")

    message = apply(receive("exchange_winmail_decline.eml", invitation))

    assert message.status is InboundStatus.APPLIED, message.detail
    rsvp = db.session.get(Rsvp, message.rsvp_id)
    assert (rsvp.status, rsvp.calendar_comment) == (
        RsvpStatus.DECLINED,
        "No podré asistir; estaré de viaje.",
    )


def test_a_revoked_invitation_answers_nothing(board_meeting, invite):
    meeting = board_meeting(uid=UID)
    [invitation] = invite(meeting, f"Ana López <{ANA}>")
    message = receive("gmail_accept_guests.eml", invitation)  # received before the revocation
    invitation_services.revoke(invitation, datetime.now(UTC))
    db.session.commit()

    message = apply(message)

    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.NOT_INVITED)
    assert db.session.scalar(db.select(Rsvp)) is None


def test_a_garbled_message_is_kept_unapplied_with_the_reason(event, answer_rsvp):
    meeting = event()
    rsvp = answer_rsvp(meeting, email=ROBERTO)

    message = apply(receive("garbled.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.UNAPPLIED, "unreadable_calendar")
    assert message.detail
    assert message.raw == fixture("garbled.eml")
    assert message.attempts == 1
    assert db.session.get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED


def test_a_winmail_dat_without_a_meeting_response_is_unapplied(event, answer_rsvp):
    rsvp = answer_rsvp(event(), email=ROBERTO)

    message = apply(receive("exchange_winmail_note.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.UNAPPLIED, "tnef_without_calendar")


def test_a_sequence_beyond_any_calendars_is_unreadable(event, answer_rsvp):
    rsvp = answer_rsvp(event(), email=ANA)
    raw = fixture("apple_tentative.eml")
    assert b"SEQUENCE:0" in raw
    raw = raw.replace(b"SEQUENCE:0", b"SEQUENCE:99999999999")

    message = apply(receive_raw(raw, rsvp))

    assert (message.status, message.reason) == (InboundStatus.UNAPPLIED, "unreadable_calendar")
    assert "out of range" in message.detail


def test_an_out_of_office_answer_is_ignored(event, answer_rsvp):
    rsvp = answer_rsvp(event(), email=ROBERTO)

    message = apply(receive("out_of_office.eml", rsvp))

    assert (message.status, message.reason) == (InboundStatus.IGNORED, "auto_reply")


# Failures


def test_an_unexpected_error_rolls_back_that_message_only_and_is_recorded(
    event, answer_rsvp, monkeypatch
):
    meeting = event()
    broken = answer_rsvp(meeting, email=ANA)
    fine = answer_rsvp(meeting, email=ROBERTO)
    first = receive("gmail_decline.eml", broken)
    second = receive("outlook_decline.eml", fine)
    real = processing.answer_from_calendar

    def answer(event, partstat, now, *, rsvp=None, **kwargs):
        if rsvp is not None and rsvp.email == ANA:
            real(event, partstat, now, rsvp=rsvp, **kwargs)  # changes made, then a bug
            raise RuntimeError("boom")
        return real(event, partstat, now, rsvp=rsvp, **kwargs)

    monkeypatch.setattr(processing, "answer_from_calendar", answer)

    assert process_received() == 2

    first, second = (db.session.get(InboundMessage, m.id) for m in (first, second))
    assert (first.status, first.reason) == (InboundStatus.UNAPPLIED, Reason.ERROR)
    assert "RuntimeError: boom" in first.detail
    assert db.session.get(Rsvp, broken.id).status is RsvpStatus.CONFIRMED  # rolled back
    assert not emails("rsvp_declined", ANA)
    assert second.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, fine.id).status is RsvpStatus.DECLINED


def test_a_message_is_not_retried_forever(event, answer_rsvp, monkeypatch):
    rsvp = answer_rsvp(event(), email=ANA)
    message = receive("gmail_decline.eml", rsvp)

    def database_away(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(processing, "parse_reply", database_away)
    for _ in range(processing.MAX_ATTEMPTS):
        assert process_received() == 0  # left RECEIVED for the next pass
    assert db.session.get(InboundMessage, message.id).status is InboundStatus.RECEIVED

    assert process_received() == 1

    message = db.session.get(InboundMessage, message.id)
    assert (message.status, message.reason) == (InboundStatus.UNAPPLIED, Reason.GAVE_UP)


# Organizer actions


def test_an_organizer_applies_a_message_again_after_adding_seats(event, answer_rsvp, make_user):
    organizer = make_user()
    meeting = event(capacity=1, guest_limit=3)
    rsvp = answer_rsvp(meeting, email=ANA)  # holds the one seat, no guests

    message = apply(receive("gmail_accept_guests.eml", rsvp))
    assert (message.status, message.reason) == (InboundStatus.UNAPPLIED, Reason.NOT_ENOUGH_SEATS)
    assert db.session.get(Rsvp, rsvp.id).guests == 0

    meeting.capacity = 10
    db.session.commit()
    apply_again(message, datetime.now(UTC), organizer)
    db.session.commit()

    message = db.session.get(InboundMessage, message.id)
    assert message.status is InboundStatus.APPLIED
    assert message.reason is None
    assert message.attempts == 2
    assert db.session.get(Rsvp, rsvp.id).guests == 3
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "applied_again"))
    assert entry.user_id == organizer.id
    assert entry.event_id == meeting.id
    assert entry.changes["status"] == [None, "applied"]
    assert entry.changes["before"] == [None, "unapplied"]

    with pytest.raises(processing.NotActionable):
        apply_again(message, datetime.now(UTC), organizer)


def test_an_organizer_dismisses_a_message(event, answer_rsvp, make_user):
    organizer = make_user()
    rsvp = answer_rsvp(event(), email=ROBERTO)
    message = apply(receive("garbled.eml", rsvp))

    dismiss(message, datetime.now(UTC), organizer)
    db.session.commit()

    message = db.session.get(InboundMessage, message.id)
    assert message.status is InboundStatus.DISMISSED
    assert message.reason == "unreadable_calendar"  # why it was set aside stays
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "dismissed"))
    assert entry.user_id == organizer.id
    with pytest.raises(processing.NotActionable):
        dismiss(message, datetime.now(UTC), organizer)


# Concurrency


def test_calendar_answers_web_answers_and_several_appliers_at_once_never_oversell(
    app, event, answer_rsvp, monkeypatch
):
    # As in test_rsvp_concurrency: widen the gap between counting seats and taking one.
    def slow_seats_taken(event):
        taken = seats_taken(event)
        time.sleep(0.02)
        return taken

    monkeypatch.setattr(services, "seats_taken", slow_seats_taken)
    meeting = event(capacity=5)
    slug = meeting.slug
    calendar_people = [
        answer_rsvp(meeting, attending=False, email=f"cal{n}@example.com") for n in range(8)
    ]
    messages = [receive("outlook_accept.eml", rsvp) for rsvp in calendar_people]
    web_people, appliers = 8, 3
    barrier = threading.Barrier(web_people + appliers)
    statuses: list[int] = []

    def answer_on_the_web(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/events/{slug}/rsvp",
            data={
                "name": f"Web {n}",
                "email": f"web{n}@example.com",
                "organization": "CBX",
                "response": "yes",
                "language": "en",
            },
        )
        statuses.append(response.status_code)

    def apply_mail() -> None:
        with app.app_context():
            barrier.wait()
            process_received()

    threads = [threading.Thread(target=answer_on_the_web, args=(n,)) for n in range(web_people)]
    threads += [threading.Thread(target=apply_mail) for _ in range(appliers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [302] * web_people
    db.session.expire_all()
    handled = [db.session.get(InboundMessage, m.id) for m in messages]
    assert [m.status for m in handled] == [InboundStatus.APPLIED] * len(messages)
    assert all(m.attempts >= 1 for m in handled)
    rsvps = db.session.scalars(db.select(Rsvp)).all()
    confirmed = [r for r in rsvps if r.status is RsvpStatus.CONFIRMED]
    waitlisted = [r for r in rsvps if r.status is RsvpStatus.WAITLISTED]
    assert len(confirmed) + len(waitlisted) == 16
    assert seats_taken(meeting) == len(confirmed) == 5
    # Each calendar answer applied once: its "no" on the web, then one email for its "yes".
    for rsvp in calendar_people:
        kinds = db.session.scalars(
            db.select(OutboxMessage.kind).where(OutboxMessage.rsvp_id == rsvp.id)
        ).all()
        assert sorted(kinds) in (
            ["rsvp_confirmed", "rsvp_declined"],
            ["rsvp_declined", "rsvp_waitlisted"],
        )


# Hostile mail


def tnef_attribute(ident: int, kind: int, data: bytes) -> bytes:
    header = struct.pack("<BHHI", 1, ident, kind, len(data))
    return header + data + struct.pack("<H", sum(data) & 0xFFFF)


def with_winmail(winmail: bytes) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Roberto Garza <{ROBERTO}>"
    mail["To"] = "events@reply.example.org"
    mail["Subject"] = "Rechazado: Board Meeting"
    mail.set_content("No podré asistir.")
    mail.add_attachment(winmail, "application", "ms-tnef", filename="winmail.dat")
    return mail.as_bytes()


# 27 bytes of TNEF: its message properties claim 4,294,967,295 of them, and tnefparse loops
# over that many (logging a warning for each) however short the file.
ENDLESS_WINMAIL = struct.pack("<IH", 0x223E9F78, 0x5A1C) + tnef_attribute(
    0x9003, 0x0006, struct.pack("<I", 0xFFFFFFFF)
)


def test_a_winmail_dat_that_would_never_finish_is_given_up_on_and_the_queue_moves_on(
    event, answer_rsvp
):
    meeting = event()
    roberto = answer_rsvp(meeting, email=ROBERTO)
    ana = answer_rsvp(meeting, email=ANA)
    endless = receive_raw(with_winmail(ENDLESS_WINMAIL), roberto)
    after_it = receive("gmail_decline.eml", ana)

    started = time.monotonic()
    assert process_received() == 2
    assert time.monotonic() - started < 4 + tnef.CHILD_TIMEOUT_SECONDS

    endless = db.session.get(InboundMessage, endless.id)
    assert (endless.status, endless.reason) == (InboundStatus.UNAPPLIED, "unreadable_tnef")
    assert db.session.get(Rsvp, roberto.id).status is RsvpStatus.CONFIRMED
    assert db.session.get(InboundMessage, after_it.id).status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, ana.id).status is RsvpStatus.DECLINED


def test_a_winmail_dat_is_never_parsed_in_the_appliers_process(monkeypatch):
    def no_parsing_here(*args, **kwargs):
        raise AssertionError("tnefparse ran in the applier's process")

    monkeypatch.setattr(tnef, "TNEF", no_parsing_here)

    reply = parse_reply(fixture("exchange_winmail_decline.eml"))

    assert (reply.partstat, reply.uid, reply.attendee_email) == ("DECLINED", UID, ROBERTO)
    assert reply.dtstamp == datetime(2025, 3, 1, 19, 30, 5, tzinfo=UTC)


def test_a_large_winmail_dat_is_not_read():
    with pytest.raises(NotACalendarReply) as caught:
        parse_reply(with_winmail(b"\x78\x9f\x3e\x22" + b"\x00" * tnef.MAX_TNEF_BYTES))
    assert caught.value.reason == "unreadable_tnef"
    assert "larger than 2 MB" in caught.value.detail


def multipart(parts: list[bytes], boundary: str) -> bytes:
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    return (
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
        + body
        + f"--{boundary}--\r\n".encode()
    )


TEXT_PART = b"Content-Type: text/plain\r\n\r\nSee the calendar.\r\n"
CALENDAR_PART = (
    b"Content-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n"
    b"BEGIN:VEVENT\r\nUID:" + UID.encode() + b"\r\nDTSTAMP:20250301T000000Z\r\n"
    b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:" + ANA.encode() + b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
HEAD = f"From: Ana <{ANA}>\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\n".encode()


def nested(depth: int) -> bytes:
    part = CALENDAR_PART
    for level in range(depth):
        part = multipart([TEXT_PART, part], f"level{level}")
    return HEAD + part


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (HEAD + multipart([TEXT_PART] * 150 + [CALENDAR_PART], "b"), "more than 100 MIME parts"),
        # About a megabyte of parts, refused before it is parsed (which takes half a minute).
        (HEAD + multipart([b""] * 100_000, "b"), "more than 100 MIME parts"),
        (nested(12), "nested more than 10 deep"),
        # Deep enough to make the email package recurse out of its stack.
        (nested(2000), "more than 100 MIME parts"),
        # A From header the email package would take minutes to parse.
        (
            b"From: "
            + b", ".join(b"a%d@example.com" % n for n in range(50_000))
            + b"\r\n"
            + multipart([CALENDAR_PART], "b"),
            "a From header of",
        ),
    ],
    ids=["many parts", "a megabyte of parts", "deep", "very deep", "a long From"],
)
def test_a_message_too_complex_to_read_is_refused_quickly(raw, detail):
    started = time.monotonic()
    with pytest.raises(NotACalendarReply) as caught:
        parse_reply(raw)
    assert time.monotonic() - started < 2
    assert caught.value.reason == "unreadable_message"
    assert detail in caught.value.detail


def test_an_answer_with_a_few_parts_nested_a_little_is_read():
    assert parse_reply(nested(9)).partstat == "ACCEPTED"
    assert parse_reply(HEAD + multipart([TEXT_PART] * 90 + [CALENDAR_PART], "b")).uid == UID

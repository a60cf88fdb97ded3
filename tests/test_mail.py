"""Email through the outbox, delivered to a real SMTP server on 127.0.0.1."""

import re
import socket
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import icalendar

from app.extensions import db
from app.mail.models import DeliveryAttempt, MessageStatus, OutboxMessage
from app.mail.sender import backoff, deliver_pending
from app.rsvps import services
from app.rsvps.models import Rsvp


def rsvp_via_form(client, event, **overrides):
    data = {
        "name": "Ana López",
        "email": "ana@example.com",
        "organization": "ITJ",
        "response": "yes",
        "language": "en",
    } | overrides
    response = client.post(f"/events/{event.slug}/rsvp", data=data)
    assert response.status_code == 302, response.text
    return client.get(response.location)


def parts(message: EmailMessage) -> dict[str, EmailMessage]:
    found = {}
    for part in message.walk():
        if part.get_filename():
            found[f"attachment:{part.get_filename()}"] = part
        elif not part.is_multipart():
            found[part.get_content_type()] = part
    return found


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(parts(message)["text/calendar"].get_content())


def manage_path(message: EmailMessage) -> str:
    body = parts(message)["text/plain"].get_content()
    url = re.search(r"http://127\.0\.0\.1/rsvp/\S+", body).group(0)
    return urlsplit(url).path


def test_confirmation_arrives_with_text_html_and_an_itip_invitation(client, make_event, smtp):
    event = make_event(capacity=5, title_en="Stakeholder Working Group Meeting")
    rsvp_via_form(client, event)
    assert deliver_pending().sent == 1

    [message] = smtp.mailbox
    assert message["To"] == "Ana López <ana@example.com>"
    assert message["Subject"] == "You're confirmed: Stakeholder Working Group Meeting"
    found = parts(message)
    assert message.get_content_type() == "multipart/mixed"
    assert {"text/plain", "text/html", "text/calendar", "attachment:invite.ics"} <= set(found)
    [alternative] = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "multipart/related",  # the HTML and its check-in code (see test_mail_layout.py)
        "text/calendar",
    ]
    calendar_part = found["text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"

    cal = calendar_of(message)
    assert cal["METHOD"] == "REQUEST"
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["UID"]) == event.uid
    assert str(vevent["ORGANIZER"]) == "mailto:events@convoca.invalid"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:ana@example.com"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert vevent.decoded("DTSTART") == event.starts_at
    assert {tz["TZID"] for tz in cal.walk("VTIMEZONE")} == {"America/Tijuana"}
    attached = icalendar.Calendar.from_ical(found["attachment:invite.ics"].get_content())
    assert str(attached.walk("VEVENT")[0]["UID"]) == event.uid

    text = found["text/plain"].get_content()
    assert "9:00–11:00 AM PST" in text or "9:00–11:00 AM PDT" in text
    assert event.venue.name in text
    assert "Thank you for your RSVP" in found["text/html"].get_content()


def test_links_in_the_email_open_the_rsvp(client, make_event, smtp):
    event = make_event(capacity=5)
    rsvp_via_form(client, event)
    deliver_pending()
    page = client.get(manage_path(smtp.mailbox[0]))
    assert page.status_code == 200
    assert "Ana López" in page.text


def test_emails_are_in_the_language_chosen_on_the_form(client, make_event, smtp):
    event = make_event(capacity=5, title_en="Board Meeting", title_es="Reunión del Consejo")
    rsvp_via_form(client, event, language="es")
    deliver_pending()
    [message] = smtp.mailbox
    assert message["Subject"] == "Asistencia confirmada: Reunión del Consejo"
    text = parts(message)["text/plain"].get_content()
    assert "Hola Ana López" in text
    assert "a. m." not in text and " AM " not in text  # Spanish uses the 24-hour clock
    assert 'lang="es"' in parts(message)["text/html"].get_content()
    [vevent] = calendar_of(message).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Reunión del Consejo"


def test_waitlisted_and_declined_answers_get_no_invitation(client, make_event, smtp):
    event = make_event(capacity=1)
    rsvp_via_form(client, event, email="first@example.com")
    rsvp_via_form(client, event, email="second@example.com")
    rsvp_via_form(client, event, email="third@example.com", response="no")
    deliver_pending()
    waitlisted = smtp.mailbox.to("second@example.com")[0]
    declined = smtp.mailbox.to("third@example.com")[0]
    assert "number 1 in line" in parts(waitlisted)["text/plain"].get_content()
    assert "text/calendar" not in parts(waitlisted)
    assert "text/calendar" not in parts(declined)


def test_cancellation_removes_the_calendar_entry_and_promotion_adds_one(client, make_event, smtp):
    event = make_event(capacity=1)
    rsvp_via_form(client, event, email="first@example.com")
    rsvp_via_form(client, event, email="second@example.com")
    deliver_pending()
    client.post(manage_path(smtp.mailbox.to("first@example.com")[0]) + "/cancel")
    deliver_pending()

    receipt = smtp.mailbox.to("first@example.com")[-1]
    assert receipt["Subject"].startswith("Your RSVP is cancelled")
    cancel = calendar_of(receipt)
    assert cancel["METHOD"] == "CANCEL"
    assert parts(receipt)["text/calendar"].get_param("method") == "CANCEL"
    [vevent] = cancel.walk("VEVENT")
    assert (str(vevent["UID"]), vevent["STATUS"]) == (event.uid, "CANCELLED")

    promoted = smtp.mailbox.to("second@example.com")[-1]
    assert promoted["Subject"].startswith("A seat opened up")
    assert calendar_of(promoted)["METHOD"] == "REQUEST"


def test_a_refusing_server_leaves_the_message_pending_then_it_is_delivered(
    client, make_event, smtp
):
    event = make_event(capacity=5)
    smtp.handler.refuse = True
    rsvp_via_form(client, event)

    report = deliver_pending()
    assert (report.sent, report.retrying) == (0, 1)
    message = db.session.scalars(db.select(OutboxMessage)).one()
    assert message.status is MessageStatus.PENDING
    assert "451" in message.last_error
    assert db.session.scalars(db.select(Rsvp)).one() is not None

    smtp.handler.refuse = False
    assert deliver_pending().attempted == 0  # not due until its backoff has passed
    report = deliver_pending(now=datetime.now(UTC) + backoff(1) + timedelta(seconds=1))
    assert report.sent == 1
    assert len(smtp.mailbox) == 1
    db.session.refresh(message)
    assert message.status is MessageStatus.SENT
    attempts = db.session.scalars(db.select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
    assert [a.succeeded for a in attempts] == [False, True]


def test_a_server_that_is_down_never_breaks_the_form(app, client, make_event):
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    from app.extensions import mail

    mail.init_app(app)
    event = make_event(capacity=5)
    response = rsvp_via_form(client, event)
    assert "An email is on its way to ana@example.com" in response.text
    report = deliver_pending()
    assert report.retrying == 1
    message = db.session.scalars(db.select(OutboxMessage)).one()
    assert message.status is MessageStatus.PENDING and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error


def test_messages_give_up_after_the_maximum_attempts_but_are_kept(app, make_event, smtp):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp.handler.refuse = True
    event = make_event(capacity=5)
    services.submit_answer(event, services_answer(), datetime.now(UTC))
    db.session.commit()
    later = datetime.now(UTC)
    for _ in range(2):
        deliver_pending(now=later)
        later += timedelta(hours=3)
    message = db.session.scalars(db.select(OutboxMessage)).one()
    assert message.status is MessageStatus.FAILED
    assert message.attempts == 2


def services_answer():
    return services.Answer(name="Eve", email="eve@example.com", organization="X", attending=True)


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=2)


def test_header_injection_in_a_name_cannot_add_recipients(make_event, smtp):
    event = make_event(capacity=5)
    answer = services.Answer(
        name="Eve\r\nBcc: everyone@example.com",
        email="eve@example.com",
        organization="X",
        attending=True,
    )
    services.submit_answer(event, answer, datetime.now(UTC))
    db.session.commit()
    assert deliver_pending().sent == 1
    [message] = smtp.mailbox
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.com"]
    assert len(smtp.mailbox) == 1


def test_without_a_mail_server_messages_land_in_a_readable_folder(app, client, make_event):
    event = make_event(capacity=5)
    rsvp_via_form(client, event)
    assert deliver_pending().sent == 1
    from pathlib import Path

    [eml] = Path(app.config["MAIL_SINK_DIR"]).glob("*.eml")
    content = eml.read_text()
    assert "Subject: You're confirmed" in content
    assert "ana@example.com" in content


def test_send_mail_command_delivers_once(runner, make_event, answer_rsvp, smtp):
    answer_rsvp(make_event(capacity=5))
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "sent 1, retrying 0, failed 0" in result.output
    assert len(smtp.mailbox) == 1


def test_send_mail_retry_failed_requeues(app, runner, make_event, answer_rsvp, smtp):
    answer_rsvp(make_event(capacity=5))
    message = db.session.scalars(db.select(OutboxMessage)).one()
    message.status = MessageStatus.FAILED
    db.session.commit()
    result = runner.invoke(args=["send-mail", "--retry-failed"])
    assert "Requeued 1 failed messages." in result.output
    assert len(smtp.mailbox) == 1


def test_a_message_is_claimed_by_one_worker_only(app, make_event, answer_rsvp, smtp):
    from app.mail.sender import claim_due

    answer_rsvp(make_event(capacity=5))
    now = datetime.now(UTC)
    assert len(claim_due(now, 10)) == 1
    assert claim_due(now, 10) == []  # leased: a second worker skips it

"""Attendees hear about changes, cancellations and organizers' messages, through the real SMTP
server, in their own language, with calendar data their calendars can apply."""

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar

from app.events import notifications
from app.events.models import EventKind, EventStatus
from app.extensions import db
from app.i18n import format_when
from app.mail.models import OutboxMessage
from app.mail.sender import deliver_pending
from app.rsvps.models import RsvpStatus
from tests.event_forms import edit_data, local_day, stop_data


def parts(message: EmailMessage) -> dict[str, EmailMessage]:
    found = {}
    for part in message.walk():
        if part.get_filename():
            found[f"attachment:{part.get_filename()}"] = part
        elif not part.is_multipart():
            found[part.get_content_type()] = part
    return found


def text(message: EmailMessage) -> str:
    return parts(message)["text/plain"].get_content().replace("\r\n", "\n")


def html(message: EmailMessage) -> str:
    return parts(message)["text/html"].get_content()


def vevent_of(message: EmailMessage, method: str) -> icalendar.Event:
    calendar_part = parts(message)["text/calendar"]
    assert calendar_part.get_param("method") == method
    cal = icalendar.Calendar.from_ical(calendar_part.get_content())
    assert cal["METHOD"] == method
    [vevent] = cal.walk("VEVENT")
    return vevent


def delivered(smtp) -> list[EmailMessage]:
    """Send what is queued now; the messages received, forgetting earlier ones."""
    smtp.mailbox.clear()
    deliver_pending()
    return list(smtp.mailbox)


def test_a_new_time_sends_confirmed_attendees_an_updated_invitation(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", title_en="Logistics Forum")
    answer_rsvp(event, name="Ana López", email="ana@example.com")
    delivered(smtp)  # the RSVP confirmation
    uid, old_when = (
        event.uid,
        format_when(event.starts_at, event.ends_at, event.timezone, "en", True),
    )
    day = local_day(45)

    response = client.post(
        "/organizer/events/forum/edit",
        data=edit_data(event, starts_at=f"{day}T15:00", ends_at=f"{day}T17:00"),
    )
    assert response.status_code == 302
    assert "1 attendee will be emailed about the change." in client.get(response.location).text

    [message] = delivered(smtp)
    db.session.refresh(event)
    assert event.sequence == 1
    new_when = format_when(event.starts_at, event.ends_at, event.timezone, "en", True)
    assert message["To"] == "Ana López <ana@example.com>"
    assert message["Subject"].startswith("New date or time: Logistics Forum")
    vevent = vevent_of(message, "REQUEST")
    assert str(vevent["UID"]) == uid
    assert vevent["SEQUENCE"] == 1
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent.decoded("DTSTART").tzinfo.key == "America/Tijuana"
    assert vevent.decoded("DTSTART").astimezone(ZoneInfo("America/Tijuana")).hour == 15
    assert "attachment:invite.ics" in parts(message)
    body = text(message)
    assert f"New date and time: {new_when}" in body
    assert f"Previously: {old_when}" in body
    assert "http://127.0.0.1/rsvp/" in body  # their manage link
    assert "You're still confirmed." in body


def test_the_waitlist_hears_of_changes_without_a_calendar_entry_and_decliners_not_at_all(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", capacity=1)
    answer_rsvp(event, email="seated@example.com")
    waiting = answer_rsvp(event, email="waiting@example.com")
    answer_rsvp(event, email="declined@example.com", attending=False)
    assert waiting.status is RsvpStatus.WAITLISTED
    delivered(smtp)

    day = local_day(20)
    client.post(
        "/organizer/events/forum/edit",
        data=edit_data(event, starts_at=f"{day}T10:00", ends_at=f"{day}T12:00"),
    )
    messages = delivered(smtp)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "seated@example.com",
        "waiting@example.com",
    ]
    [notice] = smtp.mailbox.to("waiting@example.com")
    assert "text/calendar" not in parts(notice)
    assert "attachment:invite.ics" not in parts(notice)
    assert "You're still on the waitlist." in text(notice)


def test_change_notices_are_in_each_attendees_language_with_times_in_the_events_zone(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", zone="America/Mexico_City", title_es="Foro de Logística")
    answer_rsvp(event, email="ana@example.com", language="es")
    answer_rsvp(event, email="bob@example.com", language="en")
    delivered(smtp)
    day = local_day(25)
    client.post(
        "/organizer/events/forum/edit",
        data=edit_data(event, starts_at=f"{day}T16:00", ends_at=f"{day}T18:00"),
    )
    messages = delivered(smtp)
    db.session.refresh(event)
    [spanish] = smtp.mailbox.to("ana@example.com")
    [english] = smtp.mailbox.to("bob@example.com")
    assert len(messages) == 2
    es_when = format_when(event.starts_at, event.ends_at, "America/Mexico_City", "es", True)
    assert es_when in text(spanish) and "16:00" in es_when
    assert '<html lang="es">' in html(spanish)
    assert "Foro de Logística" in spanish["Subject"]
    assert "4:00" in format_when(event.starts_at, event.ends_at, event.timezone, "en", True)
    assert format_when(event.starts_at, event.ends_at, event.timezone, "en", True) in text(english)
    stored = {m.recipient_email: m.language for m in db.session.scalars(db.select(OutboxMessage))}
    assert stored["ana@example.com"] == "es" and stored["bob@example.com"] == "en"


def test_a_new_venue_is_a_change_of_place(
    client, organizer, make_event, make_venue, answer_rsvp, smtp
):
    event = make_event(slug="forum")
    old_place = event.venue.one_line
    new_venue = make_venue(name="San Diego Chamber", city="San Diego", region="CA", country="US")
    db.session.commit()
    answer_rsvp(event)
    delivered(smtp)
    client.post("/organizer/events/forum/edit", data=edit_data(event, venue=str(new_venue.id)))
    [message] = delivered(smtp)
    assert message["Subject"].startswith("New place:")
    assert f"New place: {new_venue.one_line}" in text(message)
    assert f"Previously: {old_place}" in text(message)
    vevent = vevent_of(message, "REQUEST")
    assert str(vevent["LOCATION"]) == new_venue.one_line
    assert vevent["SEQUENCE"] == 1


def test_changes_to_a_visits_stops_notify_but_a_new_stop_title_does_not(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="visit", kind=EventKind.VISIT)
    uid, day = event.uid, f"{event.starts_at.astimezone(event.zone):%Y-%m-%d}"
    answer_rsvp(event)
    delivered(smtp)

    client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(
            title_en="Otay Mesa crossing", starts_at=f"{day}T09:30", ends_at=f"{day}T10:30"
        ),
    )
    # The first stop replaces the visit's single calendar entry (app/ical.py).
    message, replaced = delivered(smtp)
    assert message["Subject"].startswith("Itinerary updated:")
    assert "Otay Mesa crossing" in text(message)
    db.session.refresh(event)
    [stop] = event.stops
    stop_uid = f"{uid}-stop-{stop.id}"
    added = vevent_of(message, "REQUEST")
    assert (str(added["UID"]), added["SEQUENCE"]) == (stop_uid, 1)
    assert replaced["Subject"].startswith("Calendar entry removed:")
    cancelled = vevent_of(replaced, "CANCEL")
    assert (str(cancelled["UID"]), cancelled["SEQUENCE"]) == (uid, 1)

    client.post(
        f"/organizer/events/visit/stops/{stop.id}/edit",
        data=stop_data(stop, title_en="Otay Mesa port of entry"),
    )
    assert delivered(smtp) == []
    db.session.refresh(event)
    assert event.sequence == 1

    # Without its last stop, the visit is one entry again.
    client.post(f"/organizer/events/visit/stops/{stop.id}/delete")
    message, removed = delivered(smtp)
    restored = vevent_of(message, "REQUEST")
    assert (str(restored["UID"]), restored["SEQUENCE"]) == (uid, 2)
    cancelled = vevent_of(removed, "CANCEL")
    assert (str(cancelled["UID"]), cancelled["SEQUENCE"]) == (stop_uid, 2)


def test_changing_an_event_that_is_over_emails_nobody(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", days=-3)
    event.status = EventStatus.DRAFT  # answered while open, now a past draft being tidied up
    db.session.commit()
    delivered(smtp)
    local = event.starts_at.astimezone(event.zone)
    client.post(
        "/organizer/events/forum/edit",
        data=edit_data(event, ends_at=f"{local:%Y-%m-%d}T13:00"),
    )
    assert delivered(smtp) == []
    db.session.refresh(event)
    assert event.sequence == 1  # calendars still learn the corrected time


def test_cancelling_removes_the_event_from_attendees_calendars(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", capacity=1, title_en="Board meeting")
    answer_rsvp(event, email="seated@example.com")
    answer_rsvp(event, email="waiting@example.com", language="es")
    answer_rsvp(event, email="declined@example.com", attending=False)
    delivered(smtp)
    uid = event.uid

    response = client.post(
        "/organizer/events/forum/cancel",
        data={"note": "The <b>venue</b> flooded.\nWe'll send a new date."},
    )
    assert response.status_code == 302
    messages = delivered(smtp)
    assert len(messages) == 2
    [seated] = smtp.mailbox.to("seated@example.com")
    assert seated["Subject"] == "Cancelled: Board meeting"
    vevent = vevent_of(seated, "CANCEL")
    assert str(vevent["UID"]) == uid
    # Above the REQUEST she had (0): the event's new sequence, plus her own CANCEL's step.
    assert vevent["SEQUENCE"] == 2
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["ATTENDEE"] == "mailto:seated@example.com"
    assert "The <b>venue</b> flooded.\nWe'll send a new date." in text(seated)
    assert "The &lt;b&gt;venue&lt;/b&gt; flooded.<br>" in html(seated)
    assert "<b>venue</b>" not in html(seated)

    [waiting] = smtp.mailbox.to("waiting@example.com")
    assert "text/calendar" not in parts(waiting)
    assert "Usted estaba en la lista de espera" in text(waiting)
    assert '<html lang="es">' in html(waiting)


def test_an_organizer_message_goes_to_the_chosen_attendees_as_escaped_text(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", capacity=1, title_en="Logistics Forum")
    answer_rsvp(event, email="seated@example.com")
    answer_rsvp(event, email="waiting@example.com")
    delivered(smtp)
    body = "Use <b>gate 3</b> & bring ID.\n\n<script>alert('x')</script>"

    page = client.get("/organizer/events/forum/message")
    assert "1 confirmed attendee" in page.text and "1 on the waitlist" in page.text
    response = client.post(
        "/organizer/events/forum/message",
        data={"subject": "Parking", "body": body, "audience": "confirmed"},
    )
    assert response.status_code == 302
    assert "on its way to 1 attendee" in client.get(response.location).text
    [message] = delivered(smtp)
    assert message["To"].addresses[0].addr_spec == "seated@example.com"
    assert message["Subject"] == "Logistics Forum: Parking"
    assert body in text(message)
    assert "Use &lt;b&gt;gate 3&lt;/b&gt; &amp; bring ID." in html(message)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html(message)
    assert "<script>" not in html(message)
    assert "http://127.0.0.1/rsvp/" in text(message)

    client.post(
        "/organizer/events/forum/message",
        data={
            "subject": "Agenda",
            "body": "Attached soon.",
            "audience": "confirmed_and_waitlisted",
        },
    )
    assert len(delivered(smtp)) == 2


def test_an_organizer_message_subject_stays_one_header_line(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum")
    answer_rsvp(event, email="seated@example.com")
    delivered(smtp)
    response = client.post(
        "/organizer/events/forum/message",
        data={"subject": "Hi\r\nBcc: evil@example.com", "body": "x", "audience": "confirmed"},
    )
    assert response.status_code == 422
    assert "single line" in response.text
    assert delivered(smtp) == []
    # Even a caller that skips the form cannot smuggle a header in.
    notifications.queue_organizer_message(
        event, "Hi\nBcc: evil@example.com", "x", notifications.MessageRecipients.CONFIRMED
    )
    db.session.commit()
    [message] = delivered(smtp)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


def test_more_capacity_seats_the_waitlist(client, organizer, make_event, answer_rsvp, smtp):
    event = make_event(slug="forum", capacity=1)
    answer_rsvp(event, email="seated@example.com")
    waiting = answer_rsvp(event, email="waiting@example.com")
    assert waiting.status is RsvpStatus.WAITLISTED
    delivered(smtp)

    response = client.post("/organizer/events/forum/edit", data=edit_data(event, capacity="2"))
    assert "1 person was seated from the waitlist." in client.get(response.location).text
    db.session.refresh(waiting)
    assert waiting.status is RsvpStatus.CONFIRMED
    [message] = delivered(smtp)
    assert message["To"].addresses[0].addr_spec == "waiting@example.com"
    assert "you're confirmed" in message["Subject"]
    vevent_of(message, "REQUEST")
    db.session.refresh(event)
    assert event.sequence == 0  # more seats is not a change of time or place


def test_lowering_capacity_keeps_everyone_confirmed(client, organizer, make_event, answer_rsvp):
    event = make_event(slug="forum", capacity=3)
    rsvps = [answer_rsvp(event) for _ in range(3)]
    client.post("/organizer/events/forum/edit", data=edit_data(event, capacity="1"))
    for rsvp in rsvps:
        db.session.refresh(rsvp)
        assert rsvp.status is RsvpStatus.CONFIRMED
    newcomer = answer_rsvp(event)
    assert newcomer.status is RsvpStatus.WAITLISTED


def test_a_draft_raised_in_capacity_seats_its_waitlist_when_published_again(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(slug="forum", capacity=1)
    answer_rsvp(event)
    waiting = answer_rsvp(event)
    client.post("/organizer/events/forum/unpublish")
    client.post("/organizer/events/forum/edit", data=edit_data(event, capacity="5"))
    db.session.refresh(waiting)
    assert waiting.status is RsvpStatus.WAITLISTED  # RSVPs are closed while a draft
    client.post("/organizer/events/forum/publish")
    db.session.refresh(waiting)
    assert waiting.status is RsvpStatus.CONFIRMED


def test_notices_use_the_new_time_even_across_a_dst_change(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum")
    answer_rsvp(event, language="es")
    delivered(smtp)
    client.post(
        "/organizer/events/forum/edit",
        data=edit_data(event, starts_at="2030-07-01T09:00", ends_at="2030-07-01T10:00"),
    )
    [message] = delivered(smtp)
    assert "9:00–10:00 PDT" in text(message)  # was PST in winter
    vevent = vevent_of(message, "REQUEST")
    assert vevent.decoded("DTSTART") == datetime(
        2030, 7, 1, 9, 0, tzinfo=ZoneInfo("America/Tijuana")
    )


def test_notices_for_an_invite_only_event_link_to_the_attendees_own_page(
    client, organizer, make_event, answer_rsvp, smtp
):
    from app.events.models import Visibility
    from app.tokens import Purpose, make_token

    event = make_event(slug="board", title_en="Board meeting", visibility=Visibility.INVITE_ONLY)
    seated = answer_rsvp(event, email="director@example.com")
    delivered(smtp)
    day = local_day(21)
    client.post(
        "/organizer/events/board/edit",
        data=edit_data(event, starts_at=f"{day}T12:00", ends_at=f"{day}T14:00"),
    )
    [notice] = delivered(smtp)
    own_page = f"http://127.0.0.1/rsvp/{make_token(seated, Purpose.MANAGE)}"
    assert "/events/board" not in text(notice)  # the public address is a 404 for them
    assert own_page in text(notice)
    assert str(vevent_of(notice, "REQUEST")["URL"]) == own_page

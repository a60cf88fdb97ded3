"""The RSVP form, the confirmation page and the manage link, over HTTP."""

import html
from datetime import UTC, datetime, timedelta

import pytest

from app.events.models import EventStatus, Visibility
from app.extensions import db
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.tokens import make_token


def form_data(**overrides):
    data = {
        "name": "Ana López",
        "email": "ana@example.com",
        "organization": "Instituto Tecnológico de Tijuana",
        "job_title": "Directora",
        "phone": "+52 664 123 4567",
        "response": "yes",
        "language": "en",
        "needs": "",
        "share_with_host": "y",
    }
    return {k: v for k, v in (data | overrides).items() if v is not None}


def text(response) -> str:
    return html.unescape(response.text)


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_event_page_shows_the_rsvp_form_with_seats_left(client, make_event):
    event = make_event(capacity=40, guest_limit=2)
    page = client.get(f"/events/{event.slug}").text
    assert f'action="/events/{event.slug}/rsvp' in page
    assert "40 seats left." in page
    for name in ["name", "email", "organization", "job_title", "phone", "needs"]:
        assert f'name="{name}"' in page
    assert '<label for="email">' in page
    assert '<select aria-describedby="guests-hint" id="guests"' in page
    assert '<option value="2">' in page
    assert "None" not in page


def test_guest_question_is_absent_when_guests_are_not_allowed(client, make_event):
    event = make_event(guest_limit=0)
    assert 'name="guests"' not in client.get(f"/events/{event.slug}").text


def test_confirmation_page_says_exactly_what_was_recorded(client, make_event):
    event = make_event(capacity=5, guest_limit=1)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(guests="1"))
    assert response.status_code == 200
    assert "You're confirmed" in text(response)
    assert "Plus 1 guest." in response.text
    assert "An email with the details is on its way to ana@example.com" in response.text
    rsvp = db.session.scalars(db.select(Rsvp)).one()
    assert f'href="/rsvp/{make_token(rsvp)}"' in response.text
    assert (rsvp.name, rsvp.guests, rsvp.share_with_host) == ("Ana López", 1, True)
    assert rsvp.job_title == "Directora" and rsvp.needs is None


def test_waitlisted_confirmation_gives_the_position(client, make_event, answer_rsvp):
    event = make_event(capacity=1)
    answer_rsvp(event)
    answer_rsvp(event)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data())
    assert "You're on the waitlist" in text(response)
    assert "number 2 in line" in response.text


def test_declined_confirmation(client, make_event):
    event = make_event(capacity=1)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(response="no"))
    assert "Thanks for letting us know" in response.text
    assert db.session.scalars(db.select(Rsvp)).one().status is RsvpStatus.DECLINED


def test_answering_again_updates_and_says_so_without_revealing_the_link(client, make_event):
    event = make_event(capacity=5)
    client.post(f"/events/{event.slug}/rsvp", data=form_data())
    again = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(email="ANA@example.com", response="no")
    )
    assert "we updated that answer instead of adding another" in again.text
    assert "/rsvp/" not in again.text  # the link goes to the address's owner, by email
    rsvp = db.session.scalars(db.select(Rsvp)).one()
    assert rsvp.status is RsvpStatus.DECLINED


def test_double_submission_makes_one_rsvp(client, make_event):
    event = make_event(capacity=5)
    for _ in range(3):
        assert client.post(f"/events/{event.slug}/rsvp", data=form_data()).status_code == 200
    assert count(Rsvp) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Please enter your name."),
        ({"email": "not-an-email"}, "email", "Please enter a valid email address"),
        ({"email": "ana@"}, "email", "Please enter a valid email address"),
        ({"organization": "  "}, "organization", "Please enter your organization."),
        ({"response": None}, "response", "Please choose whether you"),
        ({"name": "x" * 121}, "name", "Field cannot be longer than 120 characters."),
        ({"phone": "call me"}, "phone", "Please enter a phone number."),
        ({"name": "Eve\r\nBcc: all@example.com"}, "name", "Please use a single line"),
        ({"needs": "y" * 1001}, "needs", "Field cannot be longer than 1000 characters."),
        ({"guests": "7"}, "guests", "Not a valid choice."),
    ],
)
def test_invalid_answers_are_refused_with_a_message_next_to_the_field(
    client, make_event, overrides, field, message
):
    event = make_event(capacity=5, guest_limit=2)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(**overrides))
    assert response.status_code == 422
    assert f'<p class="error" id="{field}-error">' in response.text
    error = response.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in html.unescape(error)
    assert 'aria-invalid="true"' in response.text
    assert count(Rsvp) == 0 and count(OutboxMessage) == 0


def test_a_failed_submission_keeps_what_was_typed(client, make_event):
    event = make_event(capacity=5)
    response = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(email="bad", organization="CDT Tijuana")
    )
    assert 'value="CDT Tijuana"' in response.text
    assert 'value="Ana López"' in response.text
    assert 'value="bad"' in response.text


def test_internationalized_email_addresses_are_accepted(client, make_event):
    event = make_event(capacity=5)
    response = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(email="josé.núñez@ejemplo.mx")
    )
    assert response.status_code == 200
    assert db.session.scalars(db.select(Rsvp)).one().email == "josé.núñez@ejemplo.mx"


def test_honeypot_discards_bots_with_a_normal_looking_page(client, make_event):
    event = make_event(capacity=5)
    response = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(website="http://spam.example")
    )
    assert response.status_code == 200
    assert "Your answer was received" in response.text
    assert count(Rsvp) == 0 and count(OutboxMessage) == 0


@pytest.mark.parametrize(
    ("fields", "notice"),
    [
        ({"status": EventStatus.CANCELLED}, "This event has been cancelled, so RSVPs are closed."),
        ({"rsvp_deadline": datetime.now(UTC) - timedelta(hours=1)}, "The RSVP deadline has passed"),
        ({"days": -2}, "This event has already started"),
    ],
)
def test_closed_events_show_a_notice_and_refuse_posts(client, make_event, fields, notice):
    event = make_event(capacity=5, **fields)
    page = client.get(f"/events/{event.slug}").text
    assert notice in page
    assert 'name="email"' not in page
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data())
    assert response.status_code == 409
    assert notice in response.text
    assert count(Rsvp) == 0


@pytest.mark.parametrize(
    "fields", [{"visibility": Visibility.INVITE_ONLY}, {"status": EventStatus.DRAFT}]
)
def test_hidden_events_take_no_public_rsvps(client, make_event, fields):
    event = make_event(**fields)
    assert client.post(f"/events/{event.slug}/rsvp", data=form_data()).status_code == 404
    assert client.post("/events/no-such-event/rsvp", data=form_data()).status_code == 404


def test_csrf_is_required(app, client, make_event):
    app.config["WTF_CSRF_ENABLED"] = True
    event = make_event(capacity=5)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data())
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert count(Rsvp) == 0


def test_rsvp_with_a_real_csrf_token(app, client, make_event):
    app.config["WTF_CSRF_ENABLED"] = True
    event = make_event(capacity=5)
    page = client.get(f"/events/{event.slug}").text
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(csrf_token=token))
    assert response.status_code == 200
    assert count(Rsvp) == 1


def test_manage_page_shows_the_answer(client, make_event, answer_rsvp):
    event = make_event(capacity=5, guest_limit=2)
    rsvp = answer_rsvp(event, name="Luis Pérez", guests=2)
    page = client.get(f"/rsvp/{make_token(rsvp)}")
    assert page.status_code == 200
    assert "Luis Pérez" in page.text and "Plus 2 guests." in page.text
    assert '<option selected value="2">' in page.text
    assert 'name="robots" content="noindex"' in page.text


def test_invalid_manage_token_is_a_friendly_404(client):
    response = client.get("/rsvp/12.not-a-real-token")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_changing_the_answer_from_the_manage_link(client, make_event, answer_rsvp):
    event = make_event(capacity=5, guest_limit=2)
    rsvp = answer_rsvp(event)
    token = make_token(rsvp)
    response = client.post(
        f"/rsvp/{token}",
        data={"response": "yes", "guests": "1", "language": "es", "needs": "Vegetariano"},
    )
    assert response.status_code == 302
    assert response.location == f"/rsvp/{token}"
    db.session.refresh(rsvp)
    assert (rsvp.guests, rsvp.language, rsvp.needs) == (1, "es", "Vegetariano")
    assert "Your answer has been updated" in client.get(response.location).text


def test_manage_change_obeys_capacity(client, make_event, answer_rsvp):
    event = make_event(capacity=2, guest_limit=3)
    rsvp = answer_rsvp(event)
    response = client.post(
        f"/rsvp/{make_token(rsvp)}", data={"response": "yes", "guests": "3", "language": "en"}
    )
    assert response.status_code == 409
    assert "Only 1 more guests fit. Your seat is kept." in response.text
    db.session.refresh(rsvp)
    assert rsvp.guests == 0 and rsvp.status is RsvpStatus.CONFIRMED


def test_manage_change_with_invalid_input_is_422(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event(capacity=2))
    response = client.post(f"/rsvp/{make_token(rsvp)}", data={"response": "maybe"})
    assert response.status_code == 422


def test_cancelling_from_the_manage_link(client, make_event, answer_rsvp):
    event = make_event(capacity=1)
    rsvp = answer_rsvp(event)
    waiting = answer_rsvp(event)
    token = make_token(rsvp)
    response = client.post(f"/rsvp/{token}/cancel", follow_redirects=True)
    assert "Your RSVP is cancelled" in response.text
    db.session.refresh(rsvp)
    db.session.refresh(waiting)
    assert rsvp.status is RsvpStatus.CANCELLED
    assert waiting.status is RsvpStatus.CONFIRMED
    assert "Cancel my RSVP" not in response.text


def test_manage_page_of_a_closed_event_refuses_changes(client, make_event, answer_rsvp):
    event = make_event(capacity=3)
    rsvp = answer_rsvp(event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    token = make_token(rsvp)
    page = client.get(f"/rsvp/{token}").text
    assert "Your answer can no longer be changed here." in page
    assert client.post(f"/rsvp/{token}/cancel").status_code == 409
    assert (
        client.post(f"/rsvp/{token}", data={"response": "no", "language": "en"}).status_code == 409
    )
    db.session.refresh(rsvp)
    assert rsvp.status is RsvpStatus.CONFIRMED


def test_invite_only_event_is_reachable_through_its_attendees_manage_link(
    client, make_event, answer_rsvp
):
    event = make_event(capacity=3)
    rsvp = answer_rsvp(event)
    event.visibility = Visibility.INVITE_ONLY
    db.session.commit()
    assert client.get(f"/rsvp/{make_token(rsvp)}").status_code == 200
    assert client.get(f"/events/{event.slug}").status_code == 404

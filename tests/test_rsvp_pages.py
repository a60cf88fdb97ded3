"""The RSVP form, the confirmation page and the manage link, over HTTP."""

import html
from datetime import UTC, datetime, timedelta

import pytest

from app.events.models import EventStatus, Visibility
from app.extensions import db
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import Purpose, make_token


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


def test_an_answer_redirects_to_a_page_that_points_to_the_inbox(client, make_event):
    event = make_event(capacity=5, guest_limit=1)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(guests="1"))
    assert response.status_code == 302
    assert response.location == f"/events/{event.slug}/rsvp"
    rsvp = db.session.scalars(db.select(Rsvp)).one()
    assert (rsvp.name, rsvp.guests, rsvp.share_with_host) == ("Ana López", 1, True)
    assert rsvp.job_title == "Directora" and rsvp.needs is None
    assert rsvp.status is RsvpStatus.CONFIRMED
    page = client.get(response.location)
    assert page.status_code == 200
    assert "Check your email" in page.text
    assert "An email is on its way to ana@example.com" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    # Personal links go only to the inbox: holding one proves the mailbox.
    assert "/rsvp/" not in page.text and "/calendar/me/" not in page.text
    assert make_token(rsvp, Purpose.MANAGE) not in page.text
    # Reloading shows the page again; it never posts twice.
    assert client.get(response.location).text == page.text
    assert count(Rsvp) == 1 and count(OutboxMessage) == 1


def test_the_confirmation_page_is_only_for_the_browser_that_answered(app, client, make_event):
    event = make_event(capacity=5)
    client.post(f"/events/{event.slug}/rsvp", data=form_data())
    stranger = app.test_client()
    response = stranger.get(f"/events/{event.slug}/rsvp")
    assert response.status_code == 302 and response.location == f"/events/{event.slug}"
    hidden = make_event(visibility=Visibility.INVITE_ONLY)
    assert stranger.get(f"/events/{hidden.slug}/rsvp").status_code == 404


def test_answer_pages_look_the_same_whoever_answered_and_however(
    app, client, make_event, answer_rsvp
):
    """New, waitlisted, declined, or an address that had answered: one page, one address."""
    event = make_event(capacity=1)
    answer_rsvp(event, email="diana@board.example")
    pages = []
    for data in (
        form_data(email="new@example.com"),  # waitlisted: the event is full
        form_data(email="other@example.com", response="no"),
        form_data(email="DIANA@board.example", response="no", name="Mallory"),
    ):
        fresh = app.test_client()
        response = fresh.post(f"/events/{event.slug}/rsvp", data=data)
        assert response.status_code == 302
        page = fresh.get(response.location).text
        pages.append(page.replace(data["email"], "ADDRESS"))
    assert pages[0] == pages[1] == pages[2]
    assert "Diana" not in pages[2] and "Confirmed" not in pages[2]


def test_the_takeover_steps_change_nothing_and_reveal_nothing(app, client, make_event, smtp):
    """Issue steps: Ana answers yes; from another browser, ANA@… posts "no" as Mallory."""
    from app.mail.sender import deliver_pending

    event = make_event(capacity=1)
    client.post(f"/events/{event.slug}/rsvp", data=form_data(email="ana@example.org"))
    client.post(f"/events/{event.slug}/rsvp", data=form_data(email="next@example.org"))
    mallory = app.test_client()
    response = mallory.post(
        f"/events/{event.slug}/rsvp",
        data=form_data(email="ANA@example.org", response="no", name="Mallory", organization="Evil"),
    )
    page = mallory.get(response.location).text
    assert "Ana López" not in page and "Instituto" not in page and "Confirmed" not in page
    ana = db.session.scalars(db.select(Rsvp).where(Rsvp.email == "ana@example.org")).one()
    assert (ana.name, ana.organization, ana.status) == (
        "Ana López",
        "Instituto Tecnológico de Tijuana",
        RsvpStatus.CONFIRMED,
    )
    nxt = db.session.scalars(db.select(Rsvp).where(Rsvp.email == "next@example.org")).one()
    assert nxt.status is RsvpStatus.WAITLISTED
    deliver_pending()
    to_ana = smtp.mailbox.to("ana@example.org")
    assert [m["Subject"] for m in to_ana][-1].startswith("Your personal link:")
    body = to_ana[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Hello Ana López" in body and "Mallory" not in body
    assert "nothing was changed" in body
    assert f"/rsvp/{make_token(ana, Purpose.MANAGE)}" in body
    assert "you're confirmed" in body


def test_the_takeover_steps_in_spanish(app, client, make_event, smtp):
    from app.mail.sender import deliver_pending

    event = make_event(capacity=3)
    client.post(
        f"/events/{event.slug}/rsvp?lang=es",
        data=form_data(email="ana@example.org", language="es"),
    )
    mallory = app.test_client()
    response = mallory.post(
        f"/events/{event.slug}/rsvp?lang=es",
        data=form_data(email="ANA@example.org", response="no", name="Mallory"),
    )
    page = mallory.get(response.location, headers={"Accept-Language": "es"}).text
    assert "Revise su correo" in page
    ana = db.session.scalars(db.select(Rsvp)).one()
    assert ana.status is RsvpStatus.CONFIRMED and ana.name == "Ana López"
    deliver_pending()
    last = smtp.mailbox.to("ana@example.org")[-1]
    assert last["Subject"].startswith("Su enlace personal:")
    body = last.get_body(preferencelist=("plain",)).get_content()
    assert "no se cambió nada" in body and "Mallory" not in body


def test_lost_link_form_emails_the_link_and_answers_the_same_either_way(
    app, client, make_event, answer_rsvp, smtp
):
    from app.mail.sender import deliver_pending

    event = make_event(capacity=5)
    rsvp = answer_rsvp(event, email="ana@example.org", name="Ana")
    page = client.get(f"/events/{event.slug}").text
    assert f'action="/events/{event.slug}/lost-link' in page
    assert 'id="lost-email"' in page
    pages = []
    for email in ("ana@example.org", "nobody@example.org"):
        visitor = app.test_client()
        response = visitor.post(f"/events/{event.slug}/lost-link", data={"lost-email": email})
        assert response.status_code == 302
        assert response.location == f"/events/{event.slug}/lost-link"
        pages.append(visitor.get(response.location).text.replace(email, "ADDRESS"))
    assert pages[0] == pages[1]
    assert "If ADDRESS has an answer for this event" in pages[0]
    deliver_pending()
    assert smtp.mailbox.to("nobody@example.org") == []
    sent = smtp.mailbox.to("ana@example.org")[-1]
    assert sent["Subject"].startswith("Your personal link:")
    assert (
        f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}"
        in sent.get_body(preferencelist=("plain",)).get_content()
    )


def test_lost_link_form_checks_the_address(client, make_event):
    event = make_event(capacity=5)
    response = client.post(f"/events/{event.slug}/lost-link", data={"lost-email": "nope"})
    assert response.status_code == 422
    assert 'id="lost-email-error"' in response.text
    assert '<details class="lost-link" id="lost-link" open>' in response.text
    assert count(OutboxMessage) == 0


def test_lost_link_form_is_rate_limited_like_the_rsvp_form(app, client, make_event):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_RSVP="2 per minute")
    from app.extensions import limiter

    limiter.init_app(app)
    event = make_event(capacity=5)
    codes = [
        client.post(
            f"/events/{event.slug}/lost-link", data={"lost-email": "x@example.org"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_a_party_too_large_is_offered_fewer_guests_or_the_waitlist(client, make_event):
    event = make_event(capacity=2, guest_limit=3)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(guests="2"))
    assert response.status_code == 409
    assert "Only 2 seats are left, and your party needs 3." in text(response)
    assert 'name="join_waitlist" value="y"' in response.text
    assert count(Rsvp) == 0
    response = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(guests="2", join_waitlist="y")
    )
    assert response.status_code == 302
    assert db.session.scalars(db.select(Rsvp)).one().status is RsvpStatus.WAITLISTED
    told = db.session.scalars(db.select(OutboxMessage)).one()
    assert "There aren't enough seats left for your whole party" in told.body_text
    assert "The event is full" not in told.body_text


def test_double_submission_makes_one_rsvp(client, make_event):
    event = make_event(capacity=5)
    for _ in range(3):
        assert client.post(f"/events/{event.slug}/rsvp", data=form_data()).status_code == 302
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
    assert response.status_code == 302
    assert db.session.scalars(db.select(Rsvp)).one().email == "josé.núñez@ejemplo.mx"


def test_honeypot_discards_bots_with_a_normal_looking_page(client, make_event):
    event = make_event(capacity=5)
    response = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(website="http://spam.example")
    )
    assert response.status_code == 302
    assert "we've received your answer" in text(client.get(response.location))
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
    assert response.status_code == 302
    assert count(Rsvp) == 1


def test_manage_page_shows_the_answer(client, make_event, answer_rsvp):
    event = make_event(capacity=5, guest_limit=2)
    rsvp = answer_rsvp(event, name="Luis Pérez", guests=2)
    page = client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}")
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
    token = make_token(rsvp, Purpose.MANAGE)
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
        f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}",
        data={"response": "yes", "guests": "3", "language": "en"},
    )
    assert response.status_code == 409
    assert "Only 1 more guests fit. Your seat is kept." in response.text
    db.session.refresh(rsvp)
    assert rsvp.guests == 0 and rsvp.status is RsvpStatus.CONFIRMED


def test_manage_change_with_invalid_input_is_422(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event(capacity=2))
    response = client.post(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}", data={"response": "maybe"})
    assert response.status_code == 422


def test_cancelling_from_the_manage_link(client, make_event, answer_rsvp):
    event = make_event(capacity=1)
    rsvp = answer_rsvp(event)
    waiting = answer_rsvp(event)
    token = make_token(rsvp, Purpose.MANAGE)
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
    token = make_token(rsvp, Purpose.MANAGE)
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
    assert client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}").status_code == 200
    assert client.get(f"/events/{event.slug}").status_code == 404

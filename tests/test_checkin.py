"""Check-in at the door: search, one tap, undo, walk-ins, and the QR code in the email."""

from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

from app.extensions import db
from app.mail.models import OutboxMessage
from app.mail.qr import qr_png
from app.mail.sender import deliver_pending
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import Purpose, make_token
from app.urls import absolute_url


def door(event) -> str:
    return f"/organizer/events/{event.slug}/checkin"


def checkin_url(rsvp) -> str:
    return absolute_url("organizer.checkin.by_token", token=make_token(rsvp, Purpose.CHECKIN))


def test_search_finds_people_by_name_or_organization(client, organizer, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="Ana López", organization="ITJ")
    answer_rsvp(event, name="Bob Smith", organization="SANDAG")
    page = client.get(door(event) + "?q=sandag")
    assert page.status_code == 200
    assert "Bob Smith" in page.text and "Ana López" not in page.text
    assert 'value="sandag"' in page.text
    page = client.get(door(event) + "?q=LÓPEZ")
    assert "Ana López" in page.text
    assert "Check in" in page.text


def test_one_tap_checks_in_and_comes_back_to_the_same_search(
    client, organizer, make_event, answer_rsvp
):
    event = make_event()
    rsvp = answer_rsvp(event, name="Ana López")
    response = client.post(f"{door(event)}/{rsvp.id}", data={"q": "ana"})
    assert response.status_code == 302
    assert response.location == f"{door(event)}?q=ana#rsvp-{rsvp.id}"
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is not None

    page = client.get(response.location)
    assert "Ana López is checked in." in page.text
    assert "Checked in at" in page.text and "Undo" in page.text


def test_a_second_tap_keeps_the_first_time_and_says_when(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(zone="America/Tijuana")
    rsvp = answer_rsvp(event, name="Ana")
    first = datetime(2026, 5, 1, 16, 5, tzinfo=UTC)  # 9:05 AM in Tijuana
    rsvp.checked_in_at = first
    db.session.commit()
    response = client.post(f"{door(event)}/{rsvp.id}", data={"q": ""}, follow_redirects=True)
    # CLDR puts a narrow no-break space before AM.
    assert "Ana was already checked in at 9:05\u202fAM." in response.text
    assert db.session.get(Rsvp, rsvp.id).checked_in_at == first


def test_undo(client, organizer, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event, name="Ana")
    client.post(f"{door(event)}/{rsvp.id}")
    response = client.post(f"{door(event)}/{rsvp.id}/undo", data={"q": "an"})
    assert response.location == f"{door(event)}?q=an#rsvp-{rsvp.id}"
    undone = db.session.get(Rsvp, rsvp.id)
    assert undone.checked_in_at is None and undone.status is RsvpStatus.CONFIRMED


def test_checking_in_someone_waitlisted_confirms_them(client, organizer, make_event, answer_rsvp):
    event = make_event(capacity=1)
    answer_rsvp(event, name="Seated")
    waiting = answer_rsvp(event, name="Waiting")
    assert "Admit and check in" in client.get(door(event) + "?q=waiting").text
    client.post(f"{door(event)}/{waiting.id}")
    admitted = db.session.get(Rsvp, waiting.id)
    assert admitted.status is RsvpStatus.CONFIRMED
    assert admitted.waitlisted_at is None and admitted.checked_in_at is not None


def test_an_rsvp_of_another_event_is_404(client, organizer, make_event, answer_rsvp):
    event, other = make_event(), make_event()
    rsvp = answer_rsvp(other, name="Elsewhere")
    assert client.post(f"{door(event)}/{rsvp.id}").status_code == 404
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is None


def test_a_walk_in_without_email_is_confirmed_and_checked_in_past_capacity(
    client, organizer, make_event, answer_rsvp
):
    event = make_event(capacity=1)
    answer_rsvp(event, name="Seated")
    outbox_before = db.session.query(OutboxMessage).count()
    response = client.post(
        f"{door(event)}/walk-in",
        data={"q": "", "name": "Walter Walk-in", "organization": "", "language": "es"},
    )
    assert response.status_code == 302
    walk_in = db.session.scalars(db.select(Rsvp).where(Rsvp.name == "Walter Walk-in")).one()
    assert walk_in.status is RsvpStatus.CONFIRMED and walk_in.checked_in_at is not None
    assert walk_in.email.endswith("@walk-in.invalid")
    assert walk_in.language == "es"
    assert db.session.query(OutboxMessage).count() == outbox_before  # nobody to email
    page = client.get(response.location)
    assert "Walter Walk-in was added as a walk-in and checked in." in page.text


def test_a_walk_in_whose_email_has_an_rsvp_checks_that_rsvp_in(
    client, organizer, make_event, answer_rsvp
):
    event = make_event()
    declined = answer_rsvp(event, name="Ana", email="ana@example.com", attending=False)
    client.post(
        f"{door(event)}/walk-in",
        data={"name": "Ana L.", "email": "ANA@example.com", "language": "en"},
    )
    assert db.session.query(Rsvp).count() == 1
    rsvp = db.session.get(Rsvp, declined.id)
    assert rsvp.status is RsvpStatus.CONFIRMED and rsvp.checked_in_at is not None


def test_a_walk_in_needs_a_name(client, organizer, make_event):
    event = make_event()
    response = client.post(f"{door(event)}/walk-in", data={"name": " ", "language": "en"})
    assert response.status_code == 422
    assert "Please enter a name." in response.text
    assert db.session.query(Rsvp).count() == 0


def test_buttons_need_a_csrf_token(app, client, organizer, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event, name="Ana")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"{door(event)}/{rsvp.id}").status_code == 400
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is None
    page = client.get(door(event) + "?q=ana").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"{door(event)}/{rsvp.id}", data={"csrf_token": token, "q": "ana"})
    assert response.status_code == 302
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is not None


def test_the_qr_url_shows_a_button_then_checks_in(client, organizer, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event, name="Ana López", organization="ITJ")
    path = urlsplit(checkin_url(rsvp)).path
    assert path.startswith("/organizer/checkin/")

    page = client.get(path)
    assert page.status_code == 200
    assert "Ana López" in page.text and "Check in" in page.text
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is None  # a GET changes nothing

    response = client.post(path)
    assert response.status_code == 302 and response.location == path
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is not None
    again = client.get(path)
    assert "Already checked in at" in again.text
    assert 'type="submit" class="button primary big"' not in again.text


def test_the_qr_url_sends_anonymous_visitors_to_sign_in(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event(), name="Ana")
    path = urlsplit(checkin_url(rsvp)).path
    for method in ("GET", "POST"):
        response = client.open(path, method=method)
        assert response.status_code == 302
        assert response.location.startswith("/organizer/login?next=")
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is None


def test_a_wrong_token_is_404(client, organizer, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event(), name="Ana")
    good = make_token(rsvp, Purpose.CHECKIN)
    assert client.get(f"/organizer/checkin/{good[:-2]}xx").status_code == 404
    assert client.get(f"/organizer/checkin/{make_token(rsvp, Purpose.MANAGE)}").status_code == 404
    assert client.post(f"/organizer/checkin/{rsvp.id + 1}.{good.split('.')[1]}").status_code == 404


def qr_part(message: EmailMessage) -> EmailMessage | None:
    return next((p for p in message.walk() if p.get_content_type() == "image/png"), None)


def test_the_confirmation_email_carries_the_check_in_qr_code(make_event, answer_rsvp, smtp):
    event = make_event(capacity=5)
    rsvp = answer_rsvp(event, name="Ana", email="ana@example.com")
    assert deliver_pending().sent == 1
    [message] = smtp.mailbox

    assert message.get_content_type() == "multipart/mixed"
    image = qr_part(message)
    assert image is not None
    assert image.get_content_disposition() == "inline"
    content_id = image["Content-ID"].strip("<>")
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert f'src="cid:{content_id}"' in html
    # The image is exactly the QR code of this attendee's check-in URL.
    assert image.get_content() == qr_png(checkin_url(rsvp))
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")


def test_promotion_emails_carry_the_code_and_waitlist_emails_do_not(
    client, make_event, answer_rsvp, smtp
):
    event = make_event(capacity=1)
    first = answer_rsvp(event, name="First", email="first@example.com")
    second = answer_rsvp(event, name="Second", email="second@example.com")
    deliver_pending()
    assert qr_part(smtp.mailbox.to("second@example.com")[0]) is None  # waitlisted

    client.post(f"/rsvp/{make_token(first, Purpose.MANAGE)}/cancel")
    deliver_pending()
    promoted = smtp.mailbox.to("second@example.com")[-1]
    assert promoted["Subject"].startswith("A seat opened up")
    assert qr_part(promoted).get_content() == qr_png(checkin_url(second))
    assert qr_part(smtp.mailbox.to("first@example.com")[-1]) is None  # cancelled

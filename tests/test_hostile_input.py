"""Hostile input is harmless wherever it travels: pages, emails, calendar files."""

from email import message_from_string
from email.utils import getaddresses

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.mail.models import OutboxMessage
from app.mail.sender import build_message, deliver_pending
from app.rsvps.models import Rsvp
from app.tokens import Purpose, make_token

SCRIPT = "<script>alert('x')</script>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
UNICODE = "Zoë Ñúñez 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ عربى 中文 👩‍👩‍👧‍👦 \u202eevil"
LONG = "x" * 20_000

FIELDS = [
    "name",
    "email",
    "organization",
    "job_title",
    "phone",
    "response",
    "language",
    "guests",
    "needs",
    "share_with_host",
    "website",
]


def post_rsvp(client, event, **overrides):
    data = {
        "name": "Eve",
        "email": "eve@example.com",
        "organization": "X",
        "response": "yes",
        "language": "en",
    } | overrides
    return client.post(f"/events/{event.slug}/rsvp", data=data)


def test_script_tags_are_escaped_on_every_page_and_in_the_email(client, make_event, smtp):
    event = make_event(capacity=5)
    response = post_rsvp(
        client, event, name=SCRIPT, organization=SCRIPT, needs=SCRIPT, job_title=FORMULA
    )
    assert response.status_code == 302
    assert SCRIPT not in client.get(response.location).text
    rsvp = db.session.scalars(db.select(Rsvp)).one()
    assert rsvp.name == SCRIPT  # stored as typed, escaped on the way out
    manage = client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}").text
    assert SCRIPT not in manage and "&lt;script&gt;" in manage

    deliver_pending()
    [message] = smtp.mailbox
    html_body = message.get_body(preferencelist=("html",)).get_content()
    assert SCRIPT not in html_body and "&lt;script&gt;" in html_body
    ics = icalendar.Calendar.from_ical(
        next(p for p in message.walk() if p.get_content_type() == "text/calendar").get_content()
    )
    attendee = ics.walk("VEVENT")[0]["ATTENDEE"]
    assert attendee.params["CN"] == SCRIPT  # quoted parameter, parses back intact


def test_newlines_cannot_reach_mail_headers(make_event, app):
    from datetime import UTC, datetime

    from app.rsvps import services

    event = make_event(capacity=5, title_en="Meeting\r\nBcc: all@example.com")
    answer = services.Answer(
        name="Eve\nX-Injected: yes", email="eve@example.com", organization="X", attending=True
    )
    services.submit_answer(event, answer, datetime.now(UTC))
    db.session.commit()
    outbox = db.session.scalars(db.select(OutboxMessage)).one()
    parsed = message_from_string(build_message(outbox).as_string())
    assert parsed["X-Injected"] is None and parsed["Bcc"] is None
    assert [a for _, a in getaddresses(parsed.get_all("To"))] == ["eve@example.com"]
    assert "\r" not in outbox.subject and "\n" not in outbox.subject


def test_unicode_heavy_and_overlong_values(client, make_event):
    event = make_event(capacity=5)
    assert post_rsvp(client, event, name=UNICODE, organization=UNICODE).status_code == 302
    assert db.session.scalars(db.select(Rsvp)).one().name == UNICODE
    too_long = post_rsvp(client, event, email="b@example.com", name=LONG, needs=LONG)
    assert too_long.status_code == 422
    assert "cannot be longer" in too_long.text


def test_invalid_encodings_and_control_characters_get_a_4xx(client, make_event):
    event = make_event(capacity=5)
    raw = client.post(
        f"/events/{event.slug}/rsvp",
        data=b"name=%FF%FE%00&email=%C0%AF@example.com&organization=%ED%A0%80&response=yes",
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= raw.status_code < 500
    nul = post_rsvp(client, event, name="Eve\x00", needs="a\x00b")
    assert nul.status_code == 400
    assert "a character that is not allowed" in nul.text
    assert client.get("/organizer/login?next=%00").status_code == 400
    assert client.get("/?kind=%00").status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 0


def test_hostile_paths_are_404_not_500(client):
    for path in [
        "/events/%00",
        "/events/%FF%FE",
        "/rsvp/%00.%00",
        "/rsvp/1.%FF",
        "/events/" + "a" * 5000,
        "/rsvp/" + "9" * 5000 + ".x",
    ]:
        assert client.get(path).status_code == 404, path


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        keys=st.sampled_from(FIELDS),
        values=st.one_of(
            st.text(max_size=300),
            st.sampled_from([SCRIPT, FORMULA, UNICODE, "", "yes", "no", "es", "-1", "99"]),
        ),
    )
)
def test_random_form_data_never_causes_a_server_error(client, make_event, data):
    event = make_event(capacity=3, guest_limit=2)
    response = client.post(f"/events/{event.slug}/rsvp", data=data)
    assert response.status_code < 500, response.text


def test_hostile_event_details_from_the_organizer_forms_stay_inert(
    client, organizer, answer_rsvp, smtp
):
    from app.events.models import Event
    from tests.event_forms import new_event_data

    ics_injection = "Agenda\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected"
    created = client.post(
        "/organizer/events/new",
        data=new_event_data(
            title_en=SCRIPT,
            title_es=UNICODE,
            description_en=ics_injection + "\n" + SCRIPT,
            slug="hostile",
            capacity="10",
            new_venue_name=SCRIPT,
            new_venue_city="Tijuana",
            new_venue_address=FORMULA,
            new_partners=f"{SCRIPT}\n{FORMULA}",
        ),
    )
    assert created.status_code == 302
    assert client.post("/organizer/events/hostile/publish").status_code == 302
    event = db.session.scalars(db.select(Event).filter_by(slug="hostile")).one()
    assert event.title_en == SCRIPT and event.venue.name == SCRIPT  # stored as typed

    for path in ["/", "/events/hostile", "/organizer/events/hostile", "/events/hostile?lang=es"]:
        page = client.get(path).text
        assert SCRIPT not in page, path
        assert "&lt;script&gt;" in page, path

    calendar = icalendar.Calendar.from_ical(client.get("/calendar.ics").data)
    [vevent] = calendar.walk("VEVENT")  # the newlines did not start a second event
    assert str(vevent["SUMMARY"]) == SCRIPT
    assert str(vevent["DESCRIPTION"]).startswith("Agenda\nEND:VEVENT")

    answer_rsvp(event, name=SCRIPT, organization=FORMULA, email="eve@example.com")
    message = client.post(
        "/organizer/events/hostile/message",
        data={"subject": "Update\r\nBcc: all@example.com", "body": SCRIPT, "audience": "confirmed"},
    )
    assert message.status_code == 422  # a subject is one line
    client.post(
        "/organizer/events/hostile/message",
        data={"subject": "Update", "body": SCRIPT, "audience": "confirmed"},
    )
    deliver_pending()
    for received in smtp.mailbox:
        assert received["Bcc"] is None
        html = received.get_body(preferencelist=("html",)).get_content()
        assert SCRIPT not in html and "&lt;script&gt;" in html

    door_list = client.get("/organizer/events/hostile/door-list").text
    assert SCRIPT not in door_list
    csv_text = client.get("/organizer/events/hostile/attendees.csv").data.decode("utf-8-sig")
    assert f"'{FORMULA}" in csv_text.replace('""', '"')  # written as text, not a formula


def test_oversized_requests_are_refused_with_413(client, make_event):
    event = make_event(capacity=5)
    response = post_rsvp(client, event, needs="x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "Too large to send" in response.text and "1.0 MB at most" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 0

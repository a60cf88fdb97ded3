"""Clocks on both sides of the border: event times on the event's clock and the reader's, the
reader's zone kept with their RSVP for emails, and venues that carry their own zone."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.demo.seed import seed_demo
from app.events import itinerary, notifications, services
from app.events.directory import NewVenue
from app.events.errors import StopOutsideVisit, ZoneContradictsVenue
from app.events.itinerary import StopDetails
from app.events.models import Event, EventKind, Venue
from app.extensions import db
from app.i18n import format_when_both
from app.mail.models import OutboxMessage
from app.privacy.personal_data import personal_data
from app.privacy.retention import anonymize_rsvp
from app.rsvps.models import Rsvp
from app.tokens import Purpose, make_token
from tests.event_forms import edit_data, new_event_data, stop_data
from tests.test_html_validity import html_problems

TIJUANA = "America/Tijuana"
LOS_ANGELES = "America/Los_Angeles"
MEXICO_CITY = "America/Mexico_City"
PLENARY = "binational-bridges-border-crossings-plenary"
VISIT = "ambassador-calibaja-visit"
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:00Z"


@pytest.fixture
def demo(app):
    events = {event.slug: event for event in seed_demo(date.today())}
    db.session.commit()
    return events


def time_elements(html: str, zone: str) -> list[str]:
    return re.findall(
        rf'<time datetime="{ISO_UTC}" data-zone="{zone}"(?: data-end="{ISO_UTC}")?>', html
    )


def rsvp_form(**overrides) -> dict:
    return {
        "name": "Ana López",
        "email": "ana@example.com",
        "organization": "Instituto Tecnológico de Tijuana",
        "response": "yes",
        "language": "en",
    } | overrides


def last_email(kind: str) -> OutboxMessage:
    return db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    ).first()


# --- Pages: the event's clock in <time>, the reader's added by static/js/local-time.js --------


def test_public_pages_show_times_in_time_elements_with_the_event_zone(client, demo):
    plenary = demo[PLENARY]
    page = client.get(f"/events/{PLENARY}").text
    [when] = time_elements(page, MEXICO_CITY)
    start = plenary.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'datetime="{start}"' in when and "data-end=" in when
    # Without JavaScript the text reads whole, on the event's clock.
    assert re.search(r'data-zone="America/Mexico_City" data-end="[^"]+">[^<]+ CST</time>', page)
    assert html_problems(page) == []

    listing = client.get("/").text
    assert time_elements(listing, MEXICO_CITY) and time_elements(listing, TIJUANA)
    # A visit's stops each carry their own zone.
    visit = client.get(f"/events/{VISIT}").text
    zones = {stop.timezone for stop in demo[VISIT].stops}
    assert zones == {LOS_ANGELES, TIJUANA}
    for stop in demo[VISIT].stops:
        start = stop.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert f'<time datetime="{start}" data-zone="{stop.timezone}"' in visit, stop.title_en


def test_manage_page_and_deadline_show_time_elements(client, demo, answer_rsvp):
    event = demo["stakeholder-working-group-itj"]
    rsvp = answer_rsvp(event)
    page = client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}").text
    assert time_elements(page, TIJUANA)
    assert html_problems(page) == []
    board = demo[PLENARY]
    board.rsvp_deadline = board.starts_at - timedelta(days=3)
    db.session.commit()
    page = client.get(f"/events/{PLENARY}").text
    assert re.search(
        r'Please answer by <time datetime="[^"]+" data-zone="America/Mexico_City">', page
    )


def test_the_local_time_script_is_served_and_loaded_with_its_words(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}").text
    assert (
        '<script src="/static/js/local-time.js" defer '
        'data-your-zone="{time} in your time zone"></script>'
    ) in page
    script = client.get("/static/js/local-time.js")
    assert script.status_code == 200
    assert "javascript" in script.content_type
    body = script.get_data(as_text=True)
    assert "resolvedOptions().timeZone" in body and "toLocaleTimeString" in body
    assert 'input[name="viewer_timezone"]' in body


# --- The reader's zone, kept with the RSVP ------------------------------------------------------


def test_the_rsvp_form_carries_a_hidden_zone_field(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}").text
    assert re.search(
        r'<input id="viewer_timezone" name="viewer_timezone" type="hidden" value="">', page
    )


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("America/Tijuana", TIJUANA),
        ("america/mexico_city", MEXICO_CITY),
        ("Mars/Olympus_Mons", None),
        ("localtime", None),
        ("../../etc/passwd", None),
        ("A" * 500, None),
        ("", None),
    ],
)
def test_the_browser_zone_is_stored_only_when_it_is_a_real_zone(client, make_event, sent, stored):
    event = make_event()
    response = client.post(f"/events/{event.slug}/rsvp", data=rsvp_form(viewer_timezone=sent))
    assert response.status_code == 302
    rsvp = db.session.scalar(db.select(Rsvp))
    assert rsvp.viewer_timezone == stored


def test_an_answer_without_a_zone_keeps_the_one_on_record(app, make_event, answer_rsvp, invite):
    event = make_event()
    [invitation] = invite(event, "Ana <ana@example.com>")
    rsvp = answer_rsvp(event, invitation, email="ana@example.com", viewer_timezone=TIJUANA)
    answer_rsvp(event, invitation, email="ana@example.com", attending=False)
    db.session.refresh(rsvp)
    assert rsvp.viewer_timezone == TIJUANA


# --- Emails: both clocks where they differ -------------------------------------------------------


def test_format_when_both_names_both_cities_when_the_clocks_differ(app):
    starts = datetime(2027, 1, 15, 9, tzinfo=ZoneInfo(MEXICO_CITY))
    ends = starts + timedelta(hours=2)
    assert format_when_both(starts, ends, MEXICO_CITY, TIJUANA, "en") == (
        "Fri Jan 15, 9:00–11:00 AM CST, Mexico City · 7:00–9:00 AM PST in Tijuana"
    )
    # In summer Tijuana is on daylight time and Mexico City no longer is: one hour apart.
    summer = datetime(2027, 7, 16, 9, tzinfo=ZoneInfo(MEXICO_CITY))
    assert format_when_both(summer, None, MEXICO_CITY, LOS_ANGELES, "en") == (
        "Fri Jul 16, 9:00 AM CST, Mexico City · 8:00 AM PDT in Los Angeles/San Diego"
    )
    assert "9:00–11:00 CST" in format_when_both(starts, ends, MEXICO_CITY, TIJUANA, "es")
    assert "7:00–9:00 PST" in format_when_both(starts, ends, MEXICO_CITY, TIJUANA, "es")


def test_format_when_both_over_several_days_names_them_once(app):
    starts = datetime(2027, 1, 18, 9, tzinfo=ZoneInfo(MEXICO_CITY))
    ends = datetime(2027, 1, 19, 14, tzinfo=ZoneInfo(MEXICO_CITY))
    assert format_when_both(starts, ends, MEXICO_CITY, TIJUANA, "en") == (
        "Mon Jan 18, 9:00 AM CST – Tue Jan 19, 2:00 PM CST, Mexico City"
        " · 7:00 AM PST – 12:00 PM PST in Tijuana"
    )


def test_format_when_both_names_the_readers_day_when_it_is_another(app):
    evening = datetime(2027, 1, 15, 20, tzinfo=ZoneInfo(TIJUANA))
    both = format_when_both(evening, None, TIJUANA, "Asia/Tokyo", "en")
    assert both == "Fri Jan 15, 8:00 PM PST, Tijuana · Sat Jan 16, 1:00 PM JST in Tokyo"


@pytest.mark.parametrize("viewer", [TIJUANA, LOS_ANGELES, None, "Not/A_Zone"])
def test_format_when_both_shows_one_clock_when_they_agree(app, viewer):
    starts = datetime(2027, 1, 15, 9, tzinfo=ZoneInfo(TIJUANA))
    assert format_when_both(starts, None, TIJUANA, viewer, "en") == "Fri Jan 15, 9:00 AM PST"


def test_emails_show_a_tijuana_reader_both_clocks_for_the_mexico_city_plenary(
    app, demo, answer_rsvp
):
    plenary = demo[PLENARY]
    rsvp = answer_rsvp(plenary, email="reader@example.org", viewer_timezone=TIJUANA)
    # The plenary runs two days: the same two on both clocks, so the days are named once.
    both = re.compile(r"CST, Mexico City · \d+:00 AM P[SD]T – \d+:00 PM P[SD]T in Tijuana")
    confirmation = last_email("rsvp_confirmed")
    assert both.search(confirmation.body_text) and both.search(confirmation.body_html)

    notifications.queue_reminder(plenary, rsvp)
    assert both.search(last_email("event_reminder").body_text)

    details = services.EventDetails(
        **{
            **_details_of(plenary),
            "starts_at": plenary.starts_at + timedelta(hours=1),
            "ends_at": plenary.ends_at + timedelta(hours=1),
        }
    )
    services.update_event(plenary, details, datetime.now(UTC))
    db.session.commit()
    changed = last_email("event_changed").body_text
    new_line = next(line for line in changed.splitlines() if line.startswith("New date"))
    previous = next(line for line in changed.splitlines() if line.startswith("Previously"))
    assert both.search(new_line) and both.search(previous)


def test_emails_show_one_clock_to_a_reader_in_the_events_zone(app, demo, answer_rsvp):
    answer_rsvp(demo[PLENARY], email="cdmx@example.org", viewer_timezone=MEXICO_CITY)
    answer_rsvp(
        demo["stakeholder-working-group-itj"], email="sd@example.org", viewer_timezone=LOS_ANGELES
    )
    readers = ("cdmx@example.org", "sd@example.org")
    messages = list(
        db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.recipient_email.in_(readers))
        )
    )
    assert len(messages) == 2
    for message in messages:
        times = [line for line in message.body_text.splitlines() if re.search(r" [CP][SD]T", line)]
        assert times and not [line for line in times if " · " in line]


def _details_of(event: Event) -> dict:
    return {
        "kind": event.kind,
        "title_en": event.title_en,
        "title_es": event.title_es,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "description_en": event.description_en,
        "description_es": event.description_es,
        "venue_id": event.venue_id,
        "host_ids": [o.id for o in event.hosts],
        "partner_ids": [o.id for o in event.partners],
        "capacity": event.capacity,
        "guest_limit": event.guest_limit,
        "rsvp_deadline": event.rsvp_deadline,
        "visibility": event.visibility,
        "slug": event.slug,
    }


# --- Venues carry their zone --------------------------------------------------------------------


def test_demo_venues_carry_their_zone(demo):
    zones = {v.city: v.timezone for v in db.session.scalars(db.select(Venue))}
    assert zones["Ciudad de México"] == MEXICO_CITY
    assert zones["Tijuana"] == TIJUANA
    assert zones["San Diego"] == LOS_ANGELES
    assert demo[PLENARY].timezone == demo[PLENARY].venue.timezone == MEXICO_CITY


def test_a_venue_with_a_zone_sets_the_events_and_the_stops(app, make_event, make_venue):
    cdmx = make_venue(name="SRE", city="Ciudad de México", region="CDMX", timezone=MEXICO_CITY)
    starts = datetime(2030, 3, 4, 15, tzinfo=UTC)
    details = services.EventDetails(
        kind=EventKind.VISIT,
        title_en="Plenary",
        starts_at=starts,
        ends_at=starts + timedelta(hours=5),
        timezone=None,
        venue_id=cdmx.id,
    )
    event = services.create_event(details)
    assert event.timezone == MEXICO_CITY

    itinerary.add_stop(event, StopDetails("Lunch", starts, None, venue_id=cdmx.id), starts)
    itinerary.add_stop(event, StopDetails("Walk", starts, MEXICO_CITY, venue_id=cdmx.id), starts)
    assert [stop.timezone for stop in event.stops] == [MEXICO_CITY, MEXICO_CITY]


def test_a_new_venue_keeps_its_zone_or_takes_the_events(app):
    starts = datetime(2030, 3, 4, 15, tzinfo=UTC)
    details = services.EventDetails(
        kind=EventKind.STAKEHOLDER_MEETING,
        title_en="Forum",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone=TIJUANA,
        new_venue=NewVenue(name="Casa", city="Tijuana", country="MX"),
    )
    assert services.create_event(details).venue.timezone == TIJUANA
    typed = NewVenue(name="Hall", city="Monterrey", country="MX", timezone="America/Monterrey")
    event = services.create_event(
        services.EventDetails(**{**details.__dict__, "timezone": None, "new_venue": typed})
    )
    assert event.timezone == event.venue.timezone == "America/Monterrey"


def test_a_zone_that_contradicts_the_venue_is_refused(app, make_event, make_venue):
    tijuana = make_venue(timezone=TIJUANA)
    event = make_event(kind=EventKind.VISIT, zone=TIJUANA)
    details = services.EventDetails(
        **{**_details_of(event), "timezone": MEXICO_CITY, "venue_id": tijuana.id}
    )
    with pytest.raises(ZoneContradictsVenue) as refused:
        services.update_event(event, details, datetime.now(UTC))
    assert (refused.value.venue_zone, refused.value.zone) == (TIJUANA, MEXICO_CITY)
    db.session.rollback()
    stop = StopDetails("Port", event.starts_at, MEXICO_CITY, venue_id=tijuana.id)
    with pytest.raises(ZoneContradictsVenue):
        itinerary.add_stop(event, stop, datetime.now(UTC))


def test_the_forms_take_the_venues_zone_and_refuse_a_contradiction(client, organizer, make_venue):
    cdmx = make_venue(name="SRE", city="Ciudad de México", region="CDMX", timezone=MEXICO_CITY)
    db.session.commit()
    data = new_event_data(slug="plenary", venue=str(cdmx.id), timezone="")
    response = client.post("/organizer/events/new", data=data)
    assert response.status_code == 302, response.text
    event = db.session.scalar(db.select(Event).where(Event.slug == "plenary"))
    assert event.timezone == MEXICO_CITY
    # The 9:00 typed is 9:00 on the venue's clock.
    assert event.starts_at.astimezone(ZoneInfo(MEXICO_CITY)).hour == 9

    response = client.post(
        "/organizer/events/plenary/edit", data=edit_data(event, timezone=TIJUANA)
    )
    assert response.status_code == 422
    assert "This venue is in America/Mexico_City; the time zone says America/Tijuana." in (
        response.text
    )
    assert html_problems(response.text) == []

    response = client.post(
        "/organizer/events/new", data=new_event_data(slug="nowhere", timezone="")
    )
    assert response.status_code == 422
    assert "Please choose a time zone, or a venue that has one." in response.text


def test_a_new_venue_typed_in_the_form_gets_its_zone(client, organizer):
    data = new_event_data(
        slug="chamber",
        timezone="",
        new_venue_name="San Diego Chamber",
        new_venue_city="San Diego",
        new_venue_country="US",
        new_venue_timezone=LOS_ANGELES,
    )
    assert client.post("/organizer/events/new", data=data).status_code == 302
    event = db.session.scalar(db.select(Event).where(Event.slug == "chamber"))
    assert event.timezone == event.venue.timezone == LOS_ANGELES


# --- Stops are checked --------------------------------------------------------------------------


def test_a_stop_outside_the_visits_dates_is_refused(app, make_event):
    event = make_event(kind=EventKind.VISIT)  # 9–11 in Tijuana
    now = datetime.now(UTC)
    for starts, ends in (
        (event.starts_at - timedelta(minutes=30), None),
        (event.starts_at, event.ends_at + timedelta(minutes=1)),
        (event.ends_at + timedelta(days=1), None),
    ):
        with pytest.raises(StopOutsideVisit):
            itinerary.add_stop(event, StopDetails("Port", starts, TIJUANA, ends_at=ends), now)
    itinerary.add_stop(
        event, StopDetails("Port", event.starts_at, TIJUANA, ends_at=event.ends_at), now
    )
    [stop] = event.stops
    later = StopDetails("Port", event.ends_at + timedelta(hours=1), TIJUANA)
    with pytest.raises(StopOutsideVisit):
        itinerary.update_stop(stop, later, now)


def test_the_stop_form_says_why_a_stop_is_refused(client, organizer, make_event, make_venue):
    event = make_event(slug="visit", kind=EventKind.VISIT, days=30)
    day = event.starts_at.astimezone(ZoneInfo(TIJUANA)).strftime("%Y-%m-%d")
    response = client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(starts_at=f"{day}T18:00", ends_at=""),
    )
    assert response.status_code == 409
    assert "A stop must take place during the visit, which runs" in response.text
    assert html_problems(response.text) == []

    cdmx = make_venue(name="SRE", city="Ciudad de México", region="CDMX", timezone=MEXICO_CITY)
    db.session.commit()
    response = client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(starts_at=f"{day}T09:30", ends_at="", venue=str(cdmx.id)),
    )
    assert response.status_code == 422
    assert "This venue is in America/Mexico_City; the time zone says America/Tijuana." in (
        response.text
    )
    db.session.refresh(event)
    assert event.stops == []


def test_a_stop_left_to_a_venue_without_a_zone_keeps_the_previous_stops(
    client, organizer, make_event
):
    event = make_event(slug="visit", kind=EventKind.VISIT, days=30, zone=LOS_ANGELES)
    day = event.starts_at.astimezone(ZoneInfo(LOS_ANGELES)).strftime("%Y-%m-%d")
    response = client.post(
        "/organizer/events/visit/stops/new",
        data=stop_data(starts_at=f"{day}T10:00", ends_at="", timezone=""),
    )
    assert response.status_code == 302, response.text
    db.session.refresh(event)
    assert [stop.timezone for stop in event.stops] == [LOS_ANGELES]


# --- The zone select ----------------------------------------------------------------------------


def test_the_time_zone_field_is_a_select_grouped_by_country(client, organizer, make_event):
    page = client.get("/organizer/events/new").text
    select = re.search(r'<select [^>]*id="timezone" name="timezone">(.*?)</select>', page, re.S)
    assert select, "the time zone is a select"
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select.group(1), re.S)
    assert [label for label, _ in groups] == ["Mexico", "United States", "Other"]
    first = {label: re.findall(r'<option value="([^"]+)"', options) for label, options in groups}
    assert first["Mexico"][:2] == [TIJUANA, MEXICO_CITY]
    assert first["United States"][0] == LOS_ANGELES
    assert "Europe/Madrid" in first["Other"] and TIJUANA not in first["Other"]
    # Labels start with the city, so typing "Tij" in the closed select finds it.
    assert '<option value="America/Tijuana">Tijuana (America/Tijuana)</option>' in page
    # Its first choice leaves the zone to the venue, and is the default.
    assert re.search(
        r'name="timezone"><option selected value="">The venue.s time zone</option>', page
    )
    assert 'list="time-zones"' not in page
    # A new venue gets a zone of its own.
    assert 'id="new_venue_timezone" name="new_venue_timezone"><option selected value="">' in page
    assert html_problems(page) == []

    event = make_event(kind=EventKind.VISIT)
    stop_page = client.get(f"/organizer/events/{event.slug}/stops/new").text
    assert '<optgroup label="Other">' in stop_page
    assert html_problems(stop_page) == []


def test_the_zone_is_in_the_attendees_data_and_forgotten_with_them(app, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event(), viewer_timezone=TIJUANA)
    assert personal_data(rsvp, datetime.now(UTC))["rsvp"]["viewer_timezone"] == TIJUANA
    anonymize_rsvp(rsvp)
    assert rsvp.viewer_timezone is None

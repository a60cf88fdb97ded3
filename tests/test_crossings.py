"""Border crossings between a visit's stops: which way, planning them (port, lane, time to allow),
what attendees read (the visit's page, emails, calendars, the documents to carry), the RSVP's
"How will you cross?", and current waits from a recorded copy of CBP's feed served on 127.0.0.1.
"""

from __future__ import annotations

import html
import http.server
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_babel
import icalendar
import pytest
import vobject
from babel.support import Translations
from flask_babel import force_locale

from app.audit.models import AuditEntry
from app.demo.seed import seed_demo
from app.events import wait_times
from app.events.crossing_plans import (
    AllowanceOutOfRange,
    LaneNotOffered,
    LeavesBeforeStopEnds,
    NoBorderBetween,
    PortClosed,
    UnknownPort,
    crossing_refusal,
    plan_crossing,
    remove_crossing,
)
from app.events.crossings import (
    NORTHBOUND,
    SOUTHBOUND,
    crossing_summary,
    crossing_text,
    crossings_needed,
    direction_between,
    documents_for,
    planned_crossings,
)
from app.events.errors import WrongStatus
from app.events.models import BorderCrossing, EventKind, EventStatus, ItineraryStop, Visibility
from app.events.notifications import queue_reminder
from app.events.services import duplicate_event
from app.events.wait_times import LaneState, parse_feed
from app.extensions import db
from app.i18n import format_when
from app.mail.models import OutboxMessage
from app.privacy.personal_data import personal_data
from app.privacy.retention import anonymize_rsvp
from app.rsvps import services
from app.rsvps.models import Rsvp
from app.tokens import Purpose, make_token
from tests.conftest import free_port
from tests.test_html_validity import html_problems

TIJUANA = "America/Tijuana"
LOS_ANGELES = "America/Los_Angeles"
FEED = Path(__file__).parent / "fixtures" / "cbp" / "bwt.xml"

# The Spanish of this feature's messages, as listed for app/translations (which others edit):
# the tests check the code's use of them (placeholders, the hour-counted plural) in Spanish.
SPANISH = {
    "Northbound at %(port)s, %(lane)s — allow %(minutes)s min": (
        "Hacia el norte por %(port)s, %(lane)s — calcule %(minutes)s min"
    ),
    "Southbound at %(port)s, %(lane)s — allow %(minutes)s min": (
        "Hacia el sur por %(port)s, %(lane)s — calcule %(minutes)s min"
    ),
    ("leave %(place)s by %(time)s", 0): "salga de %(place)s a más tardar a la %(time)s",
    ("leave %(place)s by %(time)s", 1): "salga de %(place)s a más tardar a las %(time)s",
    "leave %(place)s by %(when)s": "salga de %(place)s a más tardar el %(when)s",
    "general lane": "carril general",
    "SENTRI lane": "carril SENTRI",
    "Ready Lane": "carril Ready Lane",
    "pedestrian lane": "carril peatonal",
    "What to carry into the United States": "Qué llevar para entrar a Estados Unidos",
    "What to carry into Mexico": "Qué llevar para entrar a México",
    "SENTRI or Global Entry members: your SENTRI or Global Entry card. The SENTRI lane takes "
    "only members, in a vehicle registered with SENTRI.": (
        "Miembros de SENTRI o Global Entry: su tarjeta SENTRI o Global Entry. El carril SENTRI "
        "admite solo a miembros, en un vehículo registrado en SENTRI."
    ),
    "Mexican citizens: a Mexican passport with a valid U.S. visa.": (
        "Ciudadanos mexicanos: pasaporte mexicano con visa de EE. UU. vigente."
    ),
    "Mexican citizens: your INE voter card or Mexican passport.": (
        "Ciudadanos mexicanos: su credencial para votar del INE o su pasaporte mexicano."
    ),
    "This crossing takes the SENTRI lane, for members only: if you aren't one, please tell "
    "the organizers.": (
        "Este cruce usa el carril SENTRI, solo para miembros: si usted no lo es, avise a los "
        "organizadores."
    ),
    "This is guidance only: check CBP and INM for the current rules.": (
        "Esto es solo una orientación: consulte las reglas vigentes de CBP y del INM."
    ),
    "Crossing the border": "Cruce de la frontera",
}


@pytest.fixture
def spanish(app):
    """This feature's Spanish in the catalog for the test's duration, whatever the .po says."""
    domain = flask_babel.get_domain()
    with force_locale("es"):
        original = domain.get_translations()
    patched = Translations()
    patched.merge(original)
    patched.plural = original.plural
    patched._catalog.update(SPANISH)
    key = ("es", domain.domain[0])
    domain.cache[key] = patched
    yield
    domain.cache[key] = original


# --- A visit across the border ------------------------------------------------------------------


def at(day: date, clock: str, zone: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


@pytest.fixture
def make_visit(make_event, make_venue):
    """A visit in three stops: breakfast in Tijuana, a meeting in San Diego, a plant in
    Tijuana; so north after the first stop and south after the second."""

    def make(days: int = 20, **fields):
        event = make_event(
            days=days, hours=(7, 16), zone=TIJUANA, kind=EventKind.VISIT, venue=None, **fields
        )
        day = event.starts_at.astimezone(ZoneInfo(TIJUANA)).date()
        ttc = make_venue(name="Tijuana Trade Center", city="Tijuana", timezone=TIJUANA)
        chamber = make_venue(
            name="San Diego Regional Chamber of Commerce",
            city="San Diego",
            region="CA",
            country="US",
            timezone=LOS_ANGELES,
        )
        plant = make_venue(name="Planta San Antonio de los Buenos", timezone=TIJUANA)
        event.stops = [
            ItineraryStop(
                position=0,
                title_en="Working breakfast",
                title_es="Desayuno de trabajo",
                starts_at=at(day, "07:30", TIJUANA),
                ends_at=at(day, "08:45", TIJUANA),
                timezone=TIJUANA,
                venue=ttc,
            ),
            ItineraryStop(
                position=1,
                title_en="Stakeholder meeting",
                starts_at=at(day, "10:00", LOS_ANGELES),
                ends_at=at(day, "12:00", LOS_ANGELES),
                timezone=LOS_ANGELES,
                venue=chamber,
            ),
            ItineraryStop(
                position=2,
                title_en="Plant tour",
                starts_at=at(day, "14:00", TIJUANA),
                ends_at=at(day, "15:30", TIJUANA),
                timezone=TIJUANA,
                venue=plant,
            ),
        ]
        db.session.commit()
        return event

    return make


def plan(stop, port="otay_mesa", lane="sentri", minutes=45, actor=None):
    crossing = plan_crossing(stop, port, lane, minutes, actor=actor)
    db.session.commit()
    return crossing


# --- Direction ----------------------------------------------------------------------------------


def test_the_direction_follows_the_countries_of_the_two_stops(make_visit, make_venue):
    visit = make_visit()
    breakfast, meeting, plant = visit.stops

    assert direction_between(breakfast, meeting) == NORTHBOUND
    assert direction_between(meeting, plant) == SOUTHBOUND
    assert direction_between(breakfast, plant) is None  # both in Mexico
    assert crossings_needed(visit) == [(breakfast, meeting), (meeting, plant)]

    plant.venue = None  # nowhere known: no border to speak of
    assert direction_between(meeting, plant) is None
    assert crossings_needed(visit) == [(breakfast, meeting)]


# --- Planning -----------------------------------------------------------------------------------


def test_a_planned_crossing_is_logged_and_can_be_changed_and_removed(make_visit, make_user):
    visit = make_visit()
    breakfast = visit.stops[0]
    olga = make_user(name="Olga")

    plan(breakfast, actor=olga)
    plan(breakfast, lane="ready_lane", minutes=60, actor=olga)

    crossing = db.session.scalar(db.select(BorderCrossing))
    assert (crossing.port, crossing.lane, crossing.allowance_minutes) == (
        "otay_mesa",
        "ready_lane",
        60,
    )
    assert remove_crossing(breakfast, actor=olga) is True
    db.session.commit()
    assert db.session.scalar(db.select(BorderCrossing)) is None
    assert remove_crossing(breakfast) is False
    log = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.subject, e.label) for e in log] == [
        ("created", "border_crossing", "Working breakfast"),
        ("updated", "border_crossing", "Working breakfast"),
        ("deleted", "border_crossing", "Working breakfast"),
    ]
    assert log[1].changes == {"lane": [None, "ready_lane"], "allowance_minutes": [None, 60]}


@pytest.mark.parametrize(
    ("stop_index", "port", "lane", "minutes", "refusal"),
    [
        (2, "otay_mesa", "general", 30, NoBorderBetween),  # the last stop
        (0, "nowhere", "general", 30, UnknownPort),
        (0, "cbx", "general", 30, LaneNotOffered),  # CBX is on foot only
        (1, "san_ysidro", "sentri", 30, LaneNotOffered),  # no SENTRI lane into Mexico
        (0, "tecate", "sentri", 30, LaneNotOffered),
        (0, "otay_mesa", "sentri", 4, AllowanceOutOfRange),
        (0, "otay_mesa", "sentri", 601, AllowanceOutOfRange),
        (0, "otay_mesa", "sentri", 120, LeavesBeforeStopEnds),  # 8:00, before 8:45
    ],
)
def test_planning_refuses_what_cannot_be(make_visit, stop_index, port, lane, minutes, refusal):
    visit = make_visit()

    with pytest.raises(refusal) as refused:
        plan_crossing(visit.stops[stop_index], port, lane, minutes)
    assert crossing_refusal(refused.value)  # said to a person, never an error page


def test_stops_in_the_same_country_have_no_border_between_them(make_visit):
    visit = make_visit()
    breakfast, meeting, _plant = visit.stops
    meeting.venue.country = "MX"

    with pytest.raises(NoBorderBetween) as refused:
        plan_crossing(breakfast, "otay_mesa", "general", 30)
    assert "not in two different countries" in crossing_refusal(refused.value)


def test_a_port_closed_at_the_crossing_time_is_refused(make_visit):
    visit = make_visit()
    breakfast, meeting, _plant = visit.stops
    day = meeting.starts_at.astimezone(ZoneInfo(LOS_ANGELES)).date()
    # The meeting moves to 5:30, so the crossing runs 4:45–5:30: Tecate opens at 5:00.
    breakfast.starts_at, breakfast.ends_at = at(day, "03:00", TIJUANA), at(day, "04:00", TIJUANA)
    meeting.starts_at = at(day, "05:30", LOS_ANGELES)

    with pytest.raises(PortClosed) as refused:
        plan_crossing(breakfast, "tecate", "general", 45)
    message = crossing_refusal(refused.value)
    assert message == (
        "Tecate is open 05:00–23:00 (local time): a crossing from 4:45 AM to 5:30 AM falls "
        "outside its hours."
    )
    plan_crossing(breakfast, "san_ysidro", "general", 45)  # open day and night


def test_a_cancelled_visit_takes_no_crossing(make_visit):
    visit = make_visit(status=EventStatus.CANCELLED)

    with pytest.raises(WrongStatus):
        plan_crossing(visit.stops[0], "otay_mesa", "sentri", 45)


def test_a_crossing_whose_stops_moved_is_no_longer_shown(make_visit):
    visit = make_visit()
    breakfast, meeting, _plant = visit.stops
    plan(breakfast)
    meeting.venue.country = "MX"  # as if the meeting moved to Tijuana

    assert planned_crossings(visit) == []
    assert crossing_text(breakfast.crossing_after, "en") == ""


def test_duplicating_a_visit_copies_its_crossings(make_visit):
    visit = make_visit()
    plan(visit.stops[0])

    copy = duplicate_event(visit)
    db.session.commit()

    crossing = copy.stops[0].crossing_after
    assert (crossing.port, crossing.lane, crossing.allowance_minutes) == ("otay_mesa", "sentri", 45)
    assert crossing.id != visit.stops[0].crossing_after.id


# --- What attendees read ------------------------------------------------------------------------


def test_crossing_text_says_the_way_the_port_the_lane_and_when_to_leave(make_visit):
    visit = make_visit()
    breakfast, meeting, _plant = visit.stops

    north = plan(breakfast)
    south = plan(meeting, "san_ysidro", "general", 60)

    assert crossing_text(north, "en") == (
        "Northbound at Otay Mesa, SENTRI lane — allow 45 min; leave Tijuana Trade Center by 9:15 AM"
    )
    assert crossing_text(south, "en") == (
        "Southbound at San Ysidro, general lane — allow 60 min; leave San Diego Regional "
        "Chamber of Commerce by 1:00 PM"
    )


def test_crossing_text_in_spanish(make_visit, spanish):
    visit = make_visit()
    breakfast, meeting, _plant = visit.stops

    north = plan(breakfast)
    south = plan(meeting, "calexico_west", "general", 60)

    assert crossing_text(north, "es") == (
        "Hacia el norte por Otay Mesa, carril SENTRI — calcule 45 min; salga de Tijuana Trade "
        "Center a más tardar a las 9:15"
    )
    # One o'clock is singular in Spanish ("a la 1:00"); every other hour is plural.
    assert crossing_text(south, "es") == (
        "Hacia el sur por Calexico Oeste (Garita Centro), carril general — calcule 60 min; "
        "salga de San Diego Regional Chamber of Commerce a más tardar a las 13:00"
    )
    day = meeting.starts_at.astimezone(ZoneInfo(LOS_ANGELES)).date()
    meeting.starts_at, meeting.ends_at = (
        at(day, "00:00", LOS_ANGELES),
        at(day, "00:30", LOS_ANGELES),
    )
    visit.stops[2].starts_at = at(day, "02:00", TIJUANA)  # so they leave at 1:00
    assert crossing_text(south, "es").endswith("a más tardar a la 1:00")


def test_a_departure_the_day_after_the_stop_names_the_day(make_visit):
    visit = make_visit()
    _breakfast, meeting, plant = visit.stops
    plant.starts_at += timedelta(days=1)  # the plant the next morning, after a night in SD
    plant.ends_at += timedelta(days=1)

    south = plan(meeting, "san_ysidro", "general", 60)

    line = crossing_text(south, "en")
    departure = format_when(plant.starts_at - timedelta(hours=1), None, LOS_ANGELES, "en")
    assert line == (
        "Southbound at San Ysidro, general lane — allow 60 min; leave San Diego Regional Chamber "
        f"of Commerce by {departure}"
    )
    assert ", 1:00 PM P" in departure  # the day, the time and the zone


@pytest.mark.parametrize(
    ("document", "expected", "not_expected"),
    [
        (
            None,
            [
                "U.S. passport or passport card",
                "your SENTRI or Global Entry card",
                "valid U.S. visa",
                "Border Crossing Card",
            ],
            [],
        ),
        ("us_passport", ["U.S. passport or passport card"], ["Border Crossing Card", "visa"]),
        ("sentri", ["your SENTRI or Global Entry card"], ["Border Crossing Card"]),
        ("mx_passport_visa", ["Mexican passport with a valid U.S. visa"], ["U.S. citizens"]),
        ("bcc", ["Border Crossing Card (laser visa)"], ["U.S. citizens", "passport with"]),
    ],
)
def test_documents_into_the_us_follow_what_they_cross_with(document, expected, not_expected, app):
    text = " ".join(documents_for(NORTHBOUND, document, "en"))

    for phrase in expected:
        assert phrase in text
    for phrase in not_expected:
        assert phrase not in text


def test_documents_into_mexico_mention_the_fmm_for_foreigners_and_ine_for_mexicans(app):
    foreigner = " ".join(documents_for(SOUTHBOUND, "us_passport", "en"))
    mexican = " ".join(documents_for(SOUTHBOUND, "bcc", "en"))
    sentri = documents_for(SOUTHBOUND, "sentri", "en")  # either nationality

    assert "passport or passport card" in foreigner and "FMM" in foreigner
    assert "more than 7 days" in foreigner and "INE" not in foreigner
    assert mexican == "Mexican citizens: your INE voter card or Mexican passport."
    assert len(sentri) == 2


def test_a_sentri_lane_warns_those_who_are_not_members(app):
    warning = "SENTRI lane, for members only"

    assert any(warning in line for line in documents_for(NORTHBOUND, "bcc", "en", "sentri"))
    assert not any(warning in line for line in documents_for(NORTHBOUND, "sentri", "en", "sentri"))
    assert any("chip" in line for line in documents_for(NORTHBOUND, None, "en", "ready_lane"))


def test_documents_in_spanish(app, spanish):
    north = documents_for(NORTHBOUND, "mx_passport_visa", "es")
    south = documents_for(SOUTHBOUND, "mx_passport_visa", "es")

    assert north == ["Ciudadanos mexicanos: pasaporte mexicano con visa de EE. UU. vigente."]
    assert south == [
        "Ciudadanos mexicanos: su credencial para votar del INE o su pasaporte mexicano."
    ]


# --- The visit's page and the RSVP ----------------------------------------------------------------


def rsvp_form(**overrides) -> dict:
    return {
        "name": "Ana López",
        "email": "ana@example.com",
        "organization": "Instituto Tecnológico de Tijuana",
        "response": "yes",
        "language": "en",
    } | overrides


def test_the_visit_page_shows_each_crossing_under_its_stop_and_what_to_carry(client, make_visit):
    visit = make_visit()
    plan(visit.stops[0])

    page = client.get(f"/events/{visit.slug}").text

    text = html.unescape(page)
    breakfast = text.index("Working breakfast")
    crossing = text.index("Northbound at Otay Mesa, SENTRI lane — allow 45 min")
    meeting = text.index("Stakeholder meeting")
    assert breakfast < crossing < meeting
    assert "Southbound at" not in text  # the second crossing isn't planned yet
    assert "What to carry into the United States" in text
    assert "What to carry into Mexico" in text
    assert "How will you cross the border? (optional)" in text
    assert html_problems(page) == []


def test_only_visits_that_cross_ask_how_people_cross(client, make_event):
    meeting = make_event()

    page = client.get(f"/events/{meeting.slug}").text

    assert "How will you cross" not in page
    assert "crossing_document" not in page


def test_the_answer_keeps_how_they_cross_and_their_page_changes_it(client, make_visit):
    visit = make_visit()

    response = client.post(f"/events/{visit.slug}/rsvp", data=rsvp_form(crossing_document="bcc"))
    assert response.status_code == 302
    rsvp = db.session.scalar(db.select(Rsvp))
    assert rsvp.crossing_document == "bcc"

    manage = f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}"
    page = client.get(manage).text
    assert re.search(r'<input checked[^>]* value="bcc"', page)
    client.post(manage, data={"response": "yes", "language": "en", "crossing_document": "sentri"})
    assert db.session.get(Rsvp, rsvp.id).crossing_document == "sentri"
    client.post(manage, data={"response": "yes", "language": "en", "crossing_document": ""})
    assert db.session.get(Rsvp, rsvp.id).crossing_document is None


def test_a_document_not_offered_is_refused(client, make_visit):
    visit = make_visit()

    response = client.post(
        f"/events/{visit.slug}/rsvp", data=rsvp_form(crossing_document="helicopter")
    )

    assert response.status_code == 422
    assert db.session.scalar(db.select(Rsvp)) is None


def test_the_service_keeps_the_document_unless_told_otherwise(make_visit, answer_rsvp):
    visit = make_visit()
    rsvp = answer_rsvp(visit, crossing_document="us_passport")

    services.change_answer(
        rsvp, datetime.now(UTC), attending=True, guests=0, language="en", needs=None
    )
    assert rsvp.crossing_document == "us_passport"
    with pytest.raises(ValueError):
        services.change_answer(
            rsvp,
            datetime.now(UTC),
            attending=True,
            guests=0,
            language="en",
            needs=None,
            crossing_document="canoe",
        )


def test_an_invitee_and_an_organizer_answer_it_too(client, make_visit, invite, organizer):
    visit = make_visit(visibility=Visibility.INVITE_ONLY)
    (invitation,) = invite(visit, "Ana López <ana@example.com>")
    token = make_token(invitation, Purpose.INVITATION)

    page = client.get(f"/invitation/{token}")
    assert "How will you cross the border? (optional)" in page.text
    client.post(
        f"/events/{visit.slug}/rsvp",
        data=rsvp_form(invitation=token, crossing_document="mx_passport_visa"),
    )
    rsvp = db.session.scalar(db.select(Rsvp))
    assert rsvp.crossing_document == "mx_passport_visa"

    url = f"/organizer/events/{visit.slug}/attendees/{rsvp.id}"
    assert "How will you cross the border? (optional)" in client.get(url).text
    client.post(url, data={"response": "yes", "language": "en", "crossing_document": "us_passport"})
    assert db.session.get(Rsvp, rsvp.id).crossing_document == "us_passport"


def test_the_document_is_personal_data(make_visit, answer_rsvp):
    visit = make_visit()
    rsvp = answer_rsvp(visit, crossing_document="bcc")

    assert personal_data(rsvp, datetime.now(UTC))["rsvp"]["crossing_document"] == "bcc"
    anonymize_rsvp(rsvp)
    assert rsvp.crossing_document is None


# --- Emails and calendars -------------------------------------------------------------------------


def last_email(kind: str) -> OutboxMessage:
    return db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    ).first()


def test_the_confirmation_says_the_crossings_and_the_documents_of_that_person(
    make_visit, answer_rsvp
):
    visit = make_visit()
    plan(visit.stops[0])
    answer_rsvp(visit, crossing_document="sentri")

    email = last_email("rsvp_confirmed")

    for body in (email.body_text, html.unescape(email.body_html)):
        assert "Crossing the border" in body
        assert "Northbound at Otay Mesa, SENTRI lane — allow 45 min" in body
        assert "What to carry into the United States" in body
        assert "your SENTRI or Global Entry card" in body
        assert "Border Crossing Card" not in body  # not theirs
        assert "What to carry into Mexico" in body  # unplanned, the visit still goes south
        assert "check CBP and INM" in body
    assert "A meeting.\n\nCrossing the border\n- Northbound" in email.body_text
    assert "the current rules.\n" in email.body_text


def test_the_confirmation_in_spanish(make_visit, answer_rsvp, spanish):
    visit = make_visit()
    plan(visit.stops[0])
    answer_rsvp(visit, crossing_document="mx_passport_visa", language="es")

    body = last_email("rsvp_confirmed").body_text

    assert "Cruce de la frontera" in body
    assert "Hacia el norte por Otay Mesa, carril SENTRI — calcule 45 min" in body
    assert "Qué llevar para entrar a Estados Unidos" in body
    assert "pasaporte mexicano con visa de EE. UU. vigente" in body
    assert "si usted no lo es, avise a los organizadores" in body  # the SENTRI lane isn't theirs


def test_the_reminder_says_them_too(make_visit, answer_rsvp):
    visit = make_visit()
    plan(visit.stops[0])
    rsvp = answer_rsvp(visit, crossing_document="us_passport")

    queue_reminder(visit, rsvp)
    db.session.commit()

    email = last_email("event_reminder")
    assert "Northbound at Otay Mesa, SENTRI lane" in email.body_text
    assert "U.S. passport or passport card" in email.body_text
    assert "Northbound at Otay Mesa, SENTRI lane" in html.unescape(email.body_html)


def test_a_visit_without_crossings_emails_nothing_about_them(make_event, answer_rsvp):
    answer_rsvp(make_event())

    assert "Crossing the border" not in last_email("rsvp_confirmed").body_text


def descriptions(ics: bytes) -> list[str]:
    """Every entry's DESCRIPTION, read by vobject (a second parser) and by icalendar."""
    by_vobject = [
        component.description.value
        for component in vobject.readOne(ics.decode()).vevent_list
        if hasattr(component, "description")
    ]
    by_icalendar = [
        str(c.get("description")) for c in icalendar.Calendar.from_ical(ics).walk("VEVENT")
    ]
    assert sorted(by_vobject) == sorted(by_icalendar)
    return by_vobject


def test_the_calendar_description_lists_the_crossing_under_its_stop(client, make_visit):
    visit = make_visit()
    plan(visit.stops[0])

    ics = client.get(f"/events/{visit.slug}.ics").data

    itineraries = [d for d in descriptions(ics) if "Plant tour" in d]
    assert itineraries  # the visit's entry (and its stops' entries, which carry it too)
    for description in itineraries:
        lines = description.splitlines()
        breakfast = next(i for i, line in enumerate(lines) if "Working breakfast" in line)
        assert lines[breakfast + 1] == (
            "  ↳ Northbound at Otay Mesa, SENTRI lane — allow 45 min; leave Tijuana Trade Center "
            "by 9:15 AM"
        )


def test_the_calendar_in_spanish(client, make_visit, spanish):
    visit = make_visit()
    plan(visit.stops[0])

    ics = client.get(f"/events/{visit.slug}.ics?lang=es").data

    assert any(
        "Hacia el norte por Otay Mesa, carril SENTRI — calcule 45 min; salga de Tijuana Trade "
        "Center a más tardar a las 9:15" in d
        for d in descriptions(ics)
    )


# --- The organizer's pages ------------------------------------------------------------------------


def test_organizers_plan_change_and_remove_a_crossing(client, organizer, make_visit):
    visit = make_visit()
    breakfast = visit.stops[0]
    url = f"/organizer/events/{visit.slug}/stops/{breakfast.id}/crossing"

    form = client.get(url)
    assert form.status_code == 200
    assert "Otay Mesa — general lane, Ready Lane, SENTRI lane, pedestrian lane — open 24 hours" in (
        html.unescape(form.text)
    )
    assert "Tecate — general lane, pedestrian lane — open 05:00–23:00" in html.unescape(form.text)
    assert html_problems(form.text) == []

    saved = client.post(
        url, data={"port": "otay_mesa", "lane": "sentri", "allowance_minutes": "45"}
    )
    assert saved.status_code == 302 and saved.location.endswith("#itinerary")
    page = html.unescape(client.get(f"/organizer/events/{visit.slug}").text)
    assert "Northbound at Otay Mesa, SENTRI lane — allow 45 min" in page
    assert "No border crossing planned to the next stop yet." in page  # the way south

    refused = client.post(url, data={"port": "cbx", "lane": "general", "allowance_minutes": "45"})
    assert refused.status_code == 422
    assert (
        "Cross Border Xpress (CBX) doesn't offer a general lane in this direction. Choose one "
        "of: pedestrian lane." in html.unescape(refused.text)
    )
    assert db.session.scalar(db.select(BorderCrossing)).lane == "sentri"

    client.post(f"{url}/delete")
    assert db.session.scalar(db.select(BorderCrossing)) is None


def test_the_crossing_form_is_only_for_stops_followed_by_the_other_country(
    client, organizer, make_visit
):
    visit = make_visit()
    last = visit.stops[2]

    response = client.get(f"/organizer/events/{visit.slug}/stops/{last.id}/crossing")

    assert response.status_code == 302
    page = html.unescape(client.get(response.location).text)
    assert "there is no border to cross between them" in page


def test_a_crossing_left_behind_by_a_moved_stop_is_flagged(client, organizer, make_visit):
    visit = make_visit()
    breakfast, _meeting, plant = visit.stops
    plan(breakfast)
    client.post(f"/organizer/events/{visit.slug}/stops/{plant.id}/move", data={"direction": "up"})

    page = html.unescape(client.get(f"/organizer/events/{visit.slug}").text)

    assert "this crossing no longer leads across the border" in page
    assert "Northbound at" not in page


# --- Wait times from CBP's feed ------------------------------------------------------------------


class FeedServer:
    """A local stand-in for bwt.cbp.gov: serves `body` with `status` after `delay` seconds,
    in pieces `trickle` seconds apart if set."""

    def __init__(self):
        self.body = FEED.read_bytes()
        self.status = 200
        self.delay = 0.0
        self.trickle = 0.0
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                time.sleep(server.delay)
                try:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(server.body)))
                    self.end_headers()
                    step = 1000 if server.trickle else len(server.body) or 1
                    for start in range(0, len(server.body), step):
                        self.wfile.write(server.body[start : start + step])
                        self.wfile.flush()
                        time.sleep(server.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the app gave up waiting, as it should

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/xml/bwt.xml"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed(app, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = FeedServer()
    app.config["BORDER_WAIT_TIMES_URL"] = server.url
    yield server
    server.stop()


def test_the_recorded_feed_parses_into_waits_per_port_and_lane(app):
    waits = parse_feed(FEED.read_bytes())

    sentri = waits[("250601", "sentri")]
    assert (sentri.state, sentri.delay_minutes, sentri.lanes_open) == (LaneState.REPORTED, 25, 3)
    assert (sentri.updated.hour, sentri.updated.minute) == (10, 5)
    assert waits[("250401", "general")].delay_minutes == 70
    assert waits[("250401", "pedestrian")].delay_minutes == 20
    assert waits[("250609", "pedestrian")].delay_minutes == 0
    assert waits[("250302", "sentri")].state is LaneState.CLOSED
    assert waits[("250501", "general")].state is LaneState.NOT_REPORTED  # "Update Pending"
    assert waits[("250201", "sentri")].state is LaneState.NOT_REPORTED  # "N/A"


def test_the_feed_is_read_once_then_served_from_the_cache(feed):
    first = wait_times.current_waits()
    again = wait_times.current_waits()

    assert first[("250601", "sentri")].delay_minutes == 25
    assert again == first
    assert feed.requests == 1


def test_a_feed_that_is_down_is_not_available(app, monkeypatch):
    app.config["BORDER_WAIT_TIMES_URL"] = f"http://127.0.0.1:{free_port()}/xml/bwt.xml"

    assert wait_times.current_waits() is None  # connection refused


def test_a_slow_feed_is_given_up_on(feed, monkeypatch):
    monkeypatch.setattr(wait_times, "TIMEOUT_SECONDS", 0.3)
    feed.delay = 1.5

    started = time.monotonic()
    assert wait_times.current_waits() is None
    assert time.monotonic() - started < 1.2


def test_a_feed_that_trickles_in_is_given_up_on_at_the_deadline(feed, monkeypatch):
    monkeypatch.setattr(wait_times, "TIMEOUT_SECONDS", 0.5)
    feed.trickle = 0.2  # each piece in time, the whole far too late

    started = time.monotonic()
    assert wait_times.current_waits() is None
    assert time.monotonic() - started < 1.5


def test_a_feed_answering_an_error_is_not_available(feed):
    feed.status = 503

    assert wait_times.current_waits() is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Service unavailable</body></html>",  # well-formed, not the feed
        FEED.read_bytes()[:5000],  # cut off
        b"",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><border_wait_time>&a;'
        b"</border_wait_time>",
    ],
    ids=["html", "truncated", "empty", "entities"],
)
def test_a_malformed_feed_is_not_available(feed, body):
    feed.body = body

    assert wait_times.current_waits() is None


def test_a_feed_larger_than_the_cap_is_refused(feed, monkeypatch):
    monkeypatch.setattr(wait_times, "MAX_BYTES", 1000)

    assert wait_times.current_waits() is None


def test_the_feature_is_off_without_an_address(app):
    assert app.config["BORDER_WAIT_TIMES_URL"] is None
    assert wait_times.current_waits() is None


def test_organizers_see_the_current_wait_at_each_planned_port_and_lane(
    client, organizer, make_visit, feed
):
    visit = make_visit()
    breakfast, meeting, _plant = visit.stops
    plan(breakfast)
    plan(meeting, "san_ysidro", "general", 60)  # south: CBP reports no wait that way

    page = html.unescape(client.get(f"/organizer/events/{visit.slug}").text)

    assert "Otay Mesa, SENTRI lane: 25 min, updated 10:05 AM" in page
    assert "San Ysidro, general lane:" not in page
    assert feed.requests == 1


def test_organizers_see_closed_lanes_and_waits_not_reported(client, organizer, make_visit, feed):
    visit = make_visit()
    plan(visit.stops[0], "calexico_east", "sentri", 45)

    page = html.unescape(client.get(f"/organizer/events/{visit.slug}").text)

    assert "Calexico East, SENTRI lane: lanes closed" in page


def test_organizers_are_told_when_wait_times_are_not_available(client, organizer, make_visit, feed):
    feed.body = b"<html>maintenance</html>"
    visit = make_visit()
    plan(visit.stops[0])

    page = html.unescape(client.get(f"/organizer/events/{visit.slug}").text)

    assert "Border wait times are not available right now." in page
    assert "Northbound at Otay Mesa, SENTRI lane" in page  # the page itself is fine


def test_no_feed_is_read_without_a_northbound_crossing(client, organizer, make_visit, feed):
    visit = make_visit()
    plan(visit.stops[1], "san_ysidro", "general", 60)

    client.get(f"/organizer/events/{visit.slug}")

    assert feed.requests == 0


# --- The demo -------------------------------------------------------------------------------------


def test_the_ambassadors_visit_crosses_both_ways_with_a_port_of_entry_tour(app):
    events = {event.slug: event for event in seed_demo(date.today())}
    db.session.commit()
    visit = events["ambassador-calibaja-visit"]

    assert any("Port of Entry" in stop.title_en for stop in visit.stops)
    planned = {(p.direction, p.crossing.port, p.crossing.lane) for p in planned_crossings(visit)}
    assert (NORTHBOUND, "otay_mesa", "sentri") in planned
    assert {p.direction for p in planned_crossings(visit)} == {NORTHBOUND, SOUTHBOUND}
    summary = crossing_summary(visit, "sentri", "en")
    assert any("leave Tijuana Trade Center by 9:15 AM" in line for line in summary.lines)

    seed_demo(date.today())  # again: the same crossings, nothing more
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(BorderCrossing)) == 2

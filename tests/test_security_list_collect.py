"""Collecting what a venue's security list asks: the checks, the RSVP forms, the personal page,
the organizer's settings, and that the database only ever holds ciphertext."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.demo.seed import seed_demo
from app.events.models import Event
from app.extensions import db
from app.privacy.models import PrivacyNotice
from app.rsvps import services as rsvp_services
from app.rsvps.errors import DetailsRequired, TooManyGuests
from app.rsvps.models import Rsvp, RsvpStatus
from app.security_lists import services
from app.security_lists.errors import InvalidDetails
from app.security_lists.models import SecurityDetails, SecurityList, VenueTemplate
from app.security_lists.validation import (
    IdType,
    Problem,
    check_birth_date,
    check_expiry,
    check_id_number,
    clean_details,
    masked,
    normalize_code,
)
from app.security_lists.venues import chosen_fields, template_fields
from app.tokens import Purpose, make_token
from tests.test_html_validity import html_problems

NOW = datetime.now(UTC)
TODAY = NOW.date()
CONSULATE = template_fields(VenueTemplate.US_CONSULATE, False)
PASSPORT = "G12345678"


def text(response) -> str:
    return html.unescape(response.text)


def turn_on(event: Event, template=VenueTemplate.US_CONSULATE, vehicle=False, fields=None):
    security_list = services.configure_list(
        event, template=template, vehicle=vehicle, fields=fields, due_at=None
    )
    db.session.commit()
    return security_list


def details(**overrides) -> dict[str, str]:
    values = {
        "given_names": "Ana Sofía",
        "paternal_surname": "López",
        "maternal_surname": "Ruiz",
        "birth_date": "1980-05-31",
        "nationality": "MX",
        "id_type": "passport",
        "id_number": PASSPORT,
    }
    return {k: v for k, v in (values | overrides).items() if v is not None}


def form_data(**overrides) -> dict[str, str]:
    data = {
        "name": "Ana López",
        "email": "ana@example.com",
        "organization": "Instituto Tecnológico de Tijuana",
        "response": "yes",
        "language": "en",
        "privacy_consent": "y",
        **details(),
    }
    return {k: v for k, v in (data | overrides).items() if v is not None}


def the_rsvp() -> Rsvp:
    db.session.expire_all()
    return db.session.scalars(db.select(Rsvp)).one()


def stored(rsvp: Rsvp) -> dict | None:
    db.session.expire_all()
    return services.stored_details(db.session.get(Rsvp, rsvp.id))


# --- The checks (pure functions) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "number", "nationality"),
    [
        (IdType.PASSPORT, "G12345678", "MX"),
        (IdType.PASSPORT, "123456789", "MX"),
        (IdType.PASSPORT, "A12345678", "US"),
        (IdType.PASSPORT, "987654321", "US"),
        (IdType.PASSPORT, "X1234567", "DE"),  # elsewhere: 6 to 9 letters and digits
        (IdType.PASSPORT, "AB12345", None),
        (IdType.US_PASSPORT_CARD, "C03004786", None),
        (IdType.INE, "GMRBPT74031402M100", None),  # clave de elector
        (IdType.INE, "1234567890123", None),  # OCR number
        (IdType.SENTRI, "123456789", None),
        (IdType.BCC, "AB1234567", None),
        (IdType.BCC, "123456789012", None),
        (IdType.DRIVERS_LICENCE, "B1234567", None),
        (IdType.DRIVERS_LICENCE, "0123", None),
    ],
)
def test_numbers_each_document_can_have(id_type, number, nationality):
    assert check_id_number(id_type, number, nationality) is None


@pytest.mark.parametrize(
    ("id_type", "number", "nationality", "problem"),
    [
        (IdType.PASSPORT, "G1234567", "MX", Problem.BAD_PASSPORT_MX),
        (IdType.PASSPORT, "GG1234567", "MX", Problem.BAD_PASSPORT_MX),
        (IdType.PASSPORT, "12345678", "US", Problem.BAD_PASSPORT_US),
        (IdType.PASSPORT, "ABCDEFGH", "DE", Problem.BAD_PASSPORT),  # no digit: garbage
        (IdType.PASSPORT, "12345", None, Problem.BAD_PASSPORT),
        (IdType.PASSPORT, "1234567890", None, Problem.BAD_PASSPORT),
        (IdType.US_PASSPORT_CARD, "D03004786", None, Problem.BAD_US_PASSPORT_CARD),
        (IdType.US_PASSPORT_CARD, "C0300478", None, Problem.BAD_US_PASSPORT_CARD),
        (IdType.INE, "GMRBPT74031402X100", None, Problem.BAD_INE),
        (IdType.INE, "123456789012", None, Problem.BAD_INE),
        (IdType.SENTRI, "12345678", None, Problem.BAD_SENTRI),
        (IdType.SENTRI, "A23456789", None, Problem.BAD_SENTRI),
        (IdType.BCC, "ABCDEFGHI", None, Problem.BAD_BCC),
        (IdType.BCC, "A123456", None, Problem.BAD_BCC),
        (IdType.DRIVERS_LICENCE, "A12", None, Problem.BAD_DRIVERS_LICENCE),
        (IdType.DRIVERS_LICENCE, "NOLICENCE", None, Problem.BAD_DRIVERS_LICENCE),
    ],
)
def test_numbers_each_document_cannot_have(id_type, number, nationality, problem):
    assert check_id_number(id_type, number, nationality) is problem


def test_numbers_are_compared_without_spaces_dashes_or_case():
    assert normalize_code(" c 0300-4786 ") == "C03004786"
    assert normalize_code("ｇ１２３４５６７８") == "G12345678"  # full-width, from a phone keyboard
    assert normalize_code("8abc–123") == "8ABC123"


def test_dates_must_be_plausible():
    today = date(2026, 6, 1)
    assert check_birth_date(date(1950, 1, 1), today) is None
    assert check_birth_date(date(1899, 12, 31), today) is Problem.BIRTH_DATE_RANGE
    assert check_birth_date(date(2026, 6, 2), today) is Problem.BIRTH_DATE_RANGE
    assert check_birth_date(date(2015, 1, 1), today) is Problem.TOO_YOUNG
    assert check_birth_date(date(2014, 6, 1), today) is None  # twelve today
    event_day = date(2026, 7, 10)
    assert check_expiry(date(2026, 7, 10), event_day) is None  # valid through the day
    assert check_expiry(date(2026, 7, 9), event_day) is Problem.EXPIRED
    assert check_expiry(date(2060, 1, 1), event_day) is Problem.EXPIRY_TOO_FAR


def test_clean_details_normalises_and_reports_every_problem_at_once():
    fields = template_fields(VenueTemplate.PORT_OF_ENTRY, True)
    cleaned = clean_details(
        fields,
        details(
            id_type="us_passport_card",
            id_number="c 0300 4786",
            nationality="us",
            given_names="  Ana   Sofía ",
            maternal_surname="",
            id_expiry="2030-01-01",
        ),
        today=date(2026, 6, 1),
        event_day=date(2026, 7, 1),
    )
    assert cleaned == {
        "given_names": "Ana Sofía",
        "paternal_surname": "López",
        "birth_date": "1980-05-31",
        "nationality": "US",
        "id_type": "us_passport_card",
        "id_number": "C03004786",
        "id_expiry": "2030-01-01",
    }  # no second surname, nor a car: those keys are absent
    with pytest.raises(InvalidDetails) as refused:
        clean_details(
            fields,
            {
                "given_names": "123",
                "birth_date": "31/05/1980",
                "nationality": "XX",
                "id_type": "ine",
                "id_number": "G12345678",
                "id_expiry": "2026-06-30",
                "vehicle_colour": "Red",
            },
            today=date(2026, 6, 1),
            event_day=date(2026, 7, 1),
        )
    assert refused.value.problems == {
        "given_names": Problem.NOT_A_NAME,
        "paternal_surname": Problem.REQUIRED,
        "birth_date": Problem.BAD_DATE,
        "nationality": Problem.UNKNOWN_COUNTRY,
        "id_number": Problem.BAD_INE,
        "id_expiry": Problem.EXPIRED,
        "plate": Problem.PLATE_NEEDED,
        "plate_region": Problem.PLATE_NEEDED,
    }
    assert "G12345678" not in str(refused.value)  # names fields, never what was typed


def test_templates_ask_their_fields_in_the_venues_order():
    assert CONSULATE == (
        "given_names",
        "paternal_surname",
        "maternal_surname",
        "birth_date",
        "nationality",
        "id_type",
        "id_number",
    )
    assert template_fields(VenueTemplate.PORT_OF_ENTRY, False) == (*CONSULATE, "id_expiry")
    assert template_fields(VenueTemplate.MEXICAN_GOVERNMENT, True) == (
        "given_names",
        "paternal_surname",
        "maternal_surname",
        "organization",
        "id_type",
        "id_number",
        "plate",
        "plate_region",
        "vehicle_make",
        "vehicle_colour",
    )
    # Chosen in any order, kept in the template's; an ID number brings its type along.
    assert chosen_fields(VenueTemplate.US_CONSULATE, False, ["id_number", "given_names", "x"]) == [
        "given_names",
        "id_type",
        "id_number",
    ]


def test_an_id_number_is_shown_by_its_last_four_characters_only():
    assert masked("G12345678") == "•••••5678"
    assert masked("0123") == "••23"  # never a short number whole


# --- The RSVP form ------------------------------------------------------------------------------


def test_the_fields_are_asked_only_on_events_with_a_list(client, make_event):
    plain = make_event()
    page = client.get(f"/events/{plain.slug}").text
    assert 'name="id_type"' not in page and 'name="privacy_consent"' not in page

    listed = make_event()
    turn_on(listed)
    page = client.get(f"/events/{listed.slug}").text
    for name in [*CONSULATE, "privacy_consent"]:
        assert f'name="{name}"' in page
    assert 'type="date"' in page and 'href="/privacy"' in page
    # Mexico and the United States first, then every other country.
    options = page.split('name="nationality"', 1)[1].split("</select>", 1)[0]
    assert options.index(">Mexico<") < options.index(">United States<") < options.index(">Canada<")


def test_an_answer_records_the_details_encrypted_with_the_notice_accepted(app, client, make_event):
    event = make_event()
    turn_on(event)
    response = client.post(
        f"/events/{event.slug}/rsvp", data=form_data(id_number="g 1234-5678", nationality="MX")
    )
    assert response.status_code == 302
    rsvp = the_rsvp()
    assert rsvp.status is RsvpStatus.CONFIRMED
    notice = db.session.scalars(db.select(PrivacyNotice)).one()
    assert rsvp.security_details.notice_version == notice.version
    assert rsvp.security_details.values == {
        "given_names": "Ana Sofía",
        "paternal_surname": "López",
        "maternal_surname": "Ruiz",
        "birth_date": "1980-05-31",
        "nationality": "MX",
        "id_type": "passport",
        "id_number": PASSPORT,
    }
    # The database holds ciphertext only (and so do its backups): on SQLite its file and the
    # write-ahead log a commit may still sit in; on PostgreSQL the column as stored.
    if db.engine.dialect.name == "sqlite":
        db.session.remove()
        db.engine.dispose()
        database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
        assert b"Ana L" in raw  # the RSVP itself is there, in plain text
    else:
        raw = db.session.execute(db.text('SELECT "values" FROM security_details')).scalar_one()
        raw = raw.encode()
    for secret in (PASSPORT, "1980-05-31", "Sofía", "Ruiz"):
        assert secret.encode() not in raw


def test_not_attending_asks_nothing_and_keeps_nothing(client, make_event):
    event = make_event()
    turn_on(event)
    response = client.post(
        f"/events/{event.slug}/rsvp",
        data=form_data(response="no", privacy_consent=None, id_number="garbage"),
    )
    assert response.status_code == 302
    assert the_rsvp().status is RsvpStatus.DECLINED
    assert db.session.scalar(db.select(db.func.count(SecurityDetails.id))) == 0


def test_the_privacy_notice_must_be_accepted(client, make_event):
    event = make_event()
    turn_on(event)
    response = client.post(f"/events/{event.slug}/rsvp", data=form_data(privacy_consent=None))
    assert response.status_code == 422
    assert "Please confirm that you have read the privacy notice." in text(response)
    assert db.session.scalar(db.select(db.func.count(Rsvp.id))) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id_type": "ine", "id_number": "ABC123"}, "18-character clave de elector"),
        ({"id_type": "sentri", "id_number": "12345"}, "PASSID is 9 digits"),
        ({"id_type": "us_passport_card", "id_number": "123456789"}, "the letter C and 8 digits"),
        ({"nationality": "US", "id_number": "AB1234567"}, "A U.S. passport number is 9 digits"),
        ({"birth_date": "1890-01-01"}, "Please check the date of birth."),
        ({"birth_date": None}, "Please fill this in: the venue needs it."),
    ],
)
def test_a_refused_detail_is_said_next_to_it_and_nothing_typed_is_lost(
    client, make_event, overrides, message
):
    event = make_event()
    turn_on(event)
    data = form_data(**overrides)
    response = client.post(f"/events/{event.slug}/rsvp", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'value="Ana Sofía"' in page and 'value="Ruiz"' in page
    assert f'value="{data["id_number"]}"' in page  # in the page that answers the POST …
    assert response.headers["Cache-Control"] == "private, no-store"  # … which no one keeps
    assert f'<option selected value="{data["id_type"]}">' in page
    assert db.session.scalar(db.select(db.func.count(Rsvp.id))) == 0


def test_the_form_and_its_refusals_in_spanish(client, make_event):
    event = make_event()
    turn_on(event)
    response = client.post(
        f"/events/{event.slug}/rsvp?lang=es",
        data=form_data(id_type="ine", id_number="ABC123", nationality="US", language="es"),
    )
    assert response.status_code == 422
    page = text(response)
    assert "Revise el formulario" in page
    # Countries are named in the visitor's language, the chosen one still chosen.
    assert '<option value="MX">México</option>' in page
    assert '<option selected value="US">Estados Unidos</option>' in page
    assert 'value="ABC123"' in page and 'value="Ana Sofía"' in page
    assert page.index("México") < page.index("Estados Unidos") < page.index("Alemania")


def test_without_an_encryption_key_nothing_is_asked_nor_required(app, client, make_event):
    event = make_event()
    turn_on(event)
    app.extensions["data_encryption"] = None
    assert 'name="id_number"' not in client.get(f"/events/{event.slug}").text
    minimal = form_data(**dict.fromkeys([*CONSULATE, "privacy_consent"]))
    assert client.post(f"/events/{event.slug}/rsvp", data=minimal).status_code == 302
    assert the_rsvp().status is RsvpStatus.CONFIRMED


def test_the_invitation_page_asks_them_for_an_invite_only_meeting(client, board_meeting, invite):
    event = board_meeting()
    turn_on(event)
    (invitation,) = invite(event, "Thomas Reed <thomas@example.org>")
    token = make_token(invitation, Purpose.INVITATION)
    page = client.get(f"/invitation/{token}").text
    assert 'name="birth_date"' in page and 'name="nationality"' in page
    data = form_data(
        name="Thomas Reed",
        email="thomas@example.org",
        invitation=token,
        nationality="US",
        id_type="us_passport_card",
        id_number="C03004786",
    )
    assert client.post(f"/events/{event.slug}/rsvp", data=data).status_code == 302
    assert stored(the_rsvp())["id_number"] == "C03004786"


# --- The rule, for every caller -----------------------------------------------------------------


def test_attending_needs_details_whoever_records_the_answer(make_event, make_answer):
    event = make_event()
    turn_on(event)
    with pytest.raises(DetailsRequired):
        rsvp_services.submit_answer(event, make_answer(), NOW)
    db.session.rollback()
    # Declining needs none.
    outcome = rsvp_services.submit_answer(event, make_answer(attending=False), NOW)
    db.session.commit()
    # Changing to yes later needs them too, from the personal page or an organizer.
    with pytest.raises(DetailsRequired):
        rsvp_services.change_answer(
            outcome.rsvp, NOW, attending=True, guests=0, language="en", needs=None
        )
    db.session.rollback()
    given = services.GivenDetails(details(), 1)
    rsvp_services.change_answer(
        outcome.rsvp, NOW, attending=True, guests=0, language="en", needs=None, details=given
    )
    db.session.commit()
    assert stored(outcome.rsvp)["id_number"] == PASSPORT
    assert "G12345678" not in repr(given)


def test_guests_answer_for_themselves_where_the_venue_keeps_a_list(client, make_event, make_answer):
    # The venue admits only people whose own details it has: a guest has none.
    event = make_event(guest_limit=3)
    assert event.max_guests == 3
    turn_on(event)
    assert (event.max_guests, event.allows_guests) == (0, False)
    with pytest.raises(TooManyGuests):
        rsvp_services.submit_answer(
            event, make_answer(guests=1, security=services.GivenDetails(details(), 1)), NOW
        )
    db.session.rollback()
    page = client.get(f"/events/{event.slug}")
    assert 'name="guests"' not in page.text


def test_a_calendar_cannot_seat_someone_without_details(make_event, invite):
    event = make_event()
    turn_on(event)
    (invitation,) = invite(event, "Ana López <ana@example.com>")
    with pytest.raises(DetailsRequired):  # the inbound mail is left for an organizer
        rsvp_services.answer_from_calendar(event, "ACCEPTED", NOW, invitation=invitation)
    db.session.rollback()
    declined = rsvp_services.answer_from_calendar(event, "DECLINED", NOW, invitation=invitation)
    assert declined.rsvp.status is RsvpStatus.DECLINED


def test_a_public_answer_for_an_address_that_answered_changes_no_details(make_event, make_answer):
    event = make_event()
    turn_on(event)
    answer = make_answer(security=services.GivenDetails(details(), 1))
    rsvp = rsvp_services.submit_answer(event, answer, NOW).rsvp
    db.session.commit()
    stranger = make_answer(
        email=answer.email, security=services.GivenDetails(details(id_number="X99999999"), 1)
    )
    outcome = rsvp_services.submit_answer(event, stranger, NOW)
    db.session.commit()
    assert outcome.result is rsvp_services.Result.LINK_SENT
    assert stored(rsvp)["id_number"] == PASSPORT


def test_someone_who_stops_coming_leaves_no_details_behind(make_event, make_answer):
    event = make_event()
    turn_on(event)
    rsvp = rsvp_services.submit_answer(
        event, make_answer(security=services.GivenDetails(details(), 1)), NOW
    ).rsvp
    db.session.commit()
    rsvp_services.cancel_rsvp(rsvp, NOW)
    db.session.commit()
    assert stored(rsvp) is None
    assert db.session.scalar(db.select(db.func.count(SecurityDetails.id))) == 0


def test_fields_no_longer_asked_are_deleted_from_everyones_details(make_event, make_answer):
    event = make_event()
    turn_on(event)
    rsvp = rsvp_services.submit_answer(
        event, make_answer(security=services.GivenDetails(details(), 1)), NOW
    ).rsvp
    db.session.commit()
    kept = ["given_names", "paternal_surname", "id_type", "id_number"]
    turn_on(event, fields=kept)
    assert set(stored(rsvp)) == set(kept)


# --- The personal page --------------------------------------------------------------------------


@pytest.fixture
def answered(client, make_event):
    event = make_event()
    turn_on(event)
    client.post(f"/events/{event.slug}/rsvp", data=form_data())
    rsvp = the_rsvp()
    return rsvp, f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}"


def test_the_personal_page_shows_what_is_stored_with_the_number_masked(client, answered):
    _rsvp, url = answered
    response = client.get(url)
    page = text(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Your details for the venue's security list" in page
    assert "•••••5678" in page and PASSPORT not in page
    assert "May 31, 1980" in page and "Mexico" in page and "Ana Sofía" in page
    assert "Leave it blank to keep the number ending in 5678." in page


def test_a_correction_keeps_the_number_unless_a_new_one_is_typed(client, answered):
    rsvp, url = answered
    correction = details(birth_date="1981-05-31", id_number="", maternal_surname="Ruiz Díaz")
    sent = client.post(f"{url}/security-details", data=correction | {"privacy_consent": "y"})
    assert sent.status_code == 302
    assert sent.location.endswith("#security-list")
    values = stored(rsvp)
    assert values["birth_date"] == "1981-05-31" and values["maternal_surname"] == "Ruiz Díaz"
    assert values["id_number"] == PASSPORT

    refused = client.post(
        f"{url}/security-details",
        data=details(id_type="sentri", id_number="") | {"privacy_consent": "y"},
    )
    assert refused.status_code == 422  # the number on record is no SENTRI PASSID
    assert "PASSID is 9 digits" in text(refused)

    client.post(
        f"{url}/security-details",
        data=details(id_type="sentri", id_number="123 456 789") | {"privacy_consent": "y"},
    )
    assert stored(rsvp)["id_number"] == "123456789"


def test_changing_to_yes_on_the_personal_page_asks_the_details(client, make_event):
    event = make_event()
    turn_on(event)
    client.post(f"/events/{event.slug}/rsvp", data=form_data(response="no"))
    rsvp = the_rsvp()
    url = f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}"
    assert 'name="id_number"' in client.get(url).text
    refused = client.post(url, data={"response": "yes", "language": "en"})
    assert refused.status_code == 422
    assert client.post(url, data=form_data()).status_code == 302
    assert the_rsvp().status is RsvpStatus.CONFIRMED
    assert stored(rsvp)["id_number"] == PASSPORT


# --- The organizer ------------------------------------------------------------------------------


def test_an_organizer_answering_for_someone_gives_their_details(client, organizer, make_event):
    event = make_event()
    turn_on(event)
    rsvp = rsvp_services.submit_answer(
        event, rsvp_services.Answer("Ana", "ana@example.com", "ITJ", attending=False), NOW
    ).rsvp
    db.session.commit()
    url = f"/organizer/events/{event.slug}/attendees/{rsvp.id}"
    page = text(client.get(url))
    assert 'name="id_type"' in page and "They have read the privacy notice" in page
    assert "Missing" not in page  # they don't attend: nothing is missing
    refused = client.post(url, data={"response": "yes", "language": "en", "notify": "y"})
    assert refused.status_code == 422
    saved = client.post(url, data=form_data(notify="y"))
    assert saved.status_code == 302
    assert stored(rsvp)["id_number"] == PASSPORT
    page = text(client.get(url))
    assert "Given" in page and PASSPORT not in page and "•" not in page
    # The change log names the answer, never the details.
    entries = db.session.scalars(db.select(AuditEntry)).all()
    assert entries and all(PASSPORT not in str(entry.changes) for entry in entries)


def test_an_organizer_turns_the_list_on_adjusts_it_and_turns_it_off(
    client, organizer, make_event, make_answer
):
    event = make_event(days=20)
    page = client.get(f"/organizer/events/{event.slug}").text
    assert f"/organizer/events/{event.slug}/security-list" in page
    url = f"/organizer/events/{event.slug}/security-list"
    assert "This event has no security list." in text(client.get(url))

    due = (event.starts_at - timedelta(days=5)).astimezone(event.zone)
    on = client.post(
        url, data={"template": "port_of_entry", "due_at": due.strftime("%Y-%m-%dT%H:%M")}
    )
    assert on.status_code == 302
    security_list = db.session.scalars(db.select(SecurityList)).one()
    assert security_list.fields == [*CONSULATE, "id_expiry"]
    assert security_list.due_at == due.replace(second=0, microsecond=0)

    # Untick the second surname; an ID type unticked comes back with its number.
    kept = [f for f in security_list.fields if f not in ("maternal_surname", "id_type")]
    client.post(url, data={"template": "port_of_entry", "fields": kept})
    db.session.expire_all()
    assert "maternal_surname" not in security_list.fields and "id_type" in security_list.fields

    # A due time after the start is refused.
    late = (event.starts_at + timedelta(hours=1)).astimezone(event.zone)
    refused = client.post(
        url,
        data={
            "template": "port_of_entry",
            "fields": kept,
            "due_at": late.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert refused.status_code == 409
    assert "The list must be due before the event starts." in text(refused)

    rsvp_services.submit_answer(
        event,
        make_answer(security=services.GivenDetails(details(id_expiry="2040-01-01"), 1)),
        NOW,
    )
    db.session.commit()
    confirm = text(client.get(f"{url}/off"))
    assert "The details 1 person gave for the venue will be deleted." in confirm
    off = client.post(f"{url}/off")
    assert off.status_code == 302
    assert db.session.scalar(db.select(db.func.count(SecurityList.id))) == 0
    assert db.session.scalar(db.select(db.func.count(SecurityDetails.id))) == 0

    logged = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.subject == "security_list").order_by(AuditEntry.id)
    ).all()
    assert [entry.action for entry in logged] == ["created", "updated", "deleted"]
    assert logged[-1].changes["details_deleted"] == [None, 1]
    assert all(PASSPORT not in str(entry.changes) for entry in logged)


def test_no_list_is_turned_on_without_an_encryption_key(app, client, organizer, make_event):
    event = make_event()
    app.extensions["data_encryption"] = None
    url = f"/organizer/events/{event.slug}/security-list"
    assert "Set DATA_ENCRYPTION_KEYS" in text(client.get(url))
    refused = client.post(url, data={"template": "us_consulate"})
    assert refused.status_code == 409
    assert "Set DATA_ENCRYPTION_KEYS" in text(refused)
    assert db.session.scalar(db.select(db.func.count(SecurityList.id))) == 0


def test_only_organizers_who_manage_the_event_reach_the_list(
    app, sign_in, make_user, make_event, make_organization
):
    itj = make_organization("ITJ")
    owner = make_user()
    event = make_event(hosts=[itj], owners=[owner])
    url = f"/organizer/events/{event.slug}/security-list"

    def signed_in(user):
        browser = app.test_client()
        sign_in(user, browser)
        return browser

    host = signed_in(make_user(role=Role.HOST, organization=itj))
    assert host.get(url).status_code == 404
    assert host.post(url, data={"template": "us_consulate"}).status_code == 404
    assert host.post(f"{url}/off").status_code == 404
    other = signed_in(make_user())  # an organizer who does not own it
    assert other.get(url).status_code == 404
    assert signed_in(owner).get(url).status_code == 200


# --- The demo -----------------------------------------------------------------------------------


def test_the_demo_lists_the_consulate_meeting_and_the_port_of_entry_visit(app):
    events = {event.slug: event for event in seed_demo(TODAY, NOW)}
    db.session.commit()
    lists = {
        security_list.event.slug: security_list
        for security_list in db.session.scalars(db.select(SecurityList))
    }
    assert set(lists) == {"board-of-directors-meeting", "ambassador-calibaja-visit"}
    assert lists["board-of-directors-meeting"].template is VenueTemplate.US_CONSULATE
    visit = lists["ambassador-calibaja-visit"]
    assert visit.template is VenueTemplate.PORT_OF_ENTRY and visit.vehicle
    for slug in lists:
        attending = [
            rsvp
            for rsvp in db.session.scalars(db.select(Rsvp).where(Rsvp.event_id == events[slug].id))
            if rsvp.status.is_attending
        ]
        assert attending and all(stored(rsvp) for rsvp in attending)
    seed_demo(TODAY, NOW)  # again: the same lists, nothing more
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(SecurityList.id))) == 2


def test_the_pages_with_the_details_are_valid_html(client, organizer, make_event, make_answer):
    event = make_event()
    turn_on(event, VenueTemplate.PORT_OF_ENTRY, vehicle=True)
    given = details(id_expiry="2040-01-01", plate="8abc 123", plate_region="California")
    answer = make_answer(security=services.GivenDetails(given, 1))
    rsvp = rsvp_services.submit_answer(event, answer, NOW).rsvp
    db.session.commit()
    base = f"/organizer/events/{event.slug}"
    pages = [
        f"/events/{event.slug}",
        f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}",
        f"{base}/security-list",
        f"{base}/security-list/off",
        f"{base}/attendees/{rsvp.id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert html_problems(response.text) == [], url
    refused = client.post(f"/events/{event.slug}/rsvp", data=form_data(birth_date="x"))
    assert html_problems(refused.text) == []


def test_after_the_deadline_an_attendee_still_gives_missing_details(client, make_event):
    event = make_event(rsvp_deadline=NOW + timedelta(hours=1))
    client.post(f"/events/{event.slug}/rsvp", data=form_data())  # before the list was on
    rsvp = the_rsvp()
    turn_on(event)
    event.rsvp_deadline = NOW - timedelta(minutes=1)
    db.session.commit()
    url = f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}"
    page = text(client.get(url))
    assert "The venue still needs your details: please fill them in below." in page
    assert f'action="{url}/security-details"' in page
    sent = client.post(f"{url}/security-details", data=details() | {"privacy_consent": "y"})
    assert sent.status_code == 302
    assert stored(rsvp)["id_number"] == PASSPORT

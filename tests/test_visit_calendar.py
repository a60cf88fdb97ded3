"""In calendars a visit is its stops: one entry per stop, in feeds, downloads and invitations,
each read back by two parsers on unknown zone names (tests/test_ical_outlook.py), and answers to
a stop's entry taken as answers about the visit (app/ical.py, app/inbound/processing.py).

The visit runs over the weekend the clocks go forward, on both sides of the border.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from app.events import services as event_services
from app.events.itinerary import StopDetails, add_stop, remove_stop, update_stop
from app.events.models import Event, EventKind, EventStatus, ItineraryStop, Visibility
from app.extensions import db
from app.ical import DEFAULT_STOP_LENGTH, is_entry_uid, stop_id_of_uid
from app.inbound.addresses import reply_address
from app.inbound.labels import reason_label
from app.inbound.models import InboundMessage, InboundSource, InboundStatus
from app.inbound.processing import Reason, process_received
from app.inbound.receiving import store_inbound
from app.mail.models import OutboxMessage
from app.mail.sender import deliver_pending
from app.rsvps import services
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import Purpose, make_token
from tests.test_ical_outlook import (
    DAY,
    SPRING,
    TIJUANA,
    assert_outlook_shape,
    calendar_parts,
    read_times,
    vtimezones,
    with_unknown_zone_names,
)

LOS_ANGELES = "America/Los_Angeles"
SATURDAY, SUNDAY = SPRING - DAY, SPRING  # the clocks go forward at 02:00 on Sunday
ANA = "ana@example.com"


def instant(zone: str, day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZoneInfo(zone)).astimezone(UTC)


@pytest.fixture
def make_visit(make_event, make_venue):
    """A two-day visit of three stops: a campus tour in Tijuana, a briefing in San Diego
    without an end, and a plant visit in Tijuana the next morning."""

    made = itertools.count(1)

    def make(**fields) -> Event:
        n = next(made)  # venues are unique by name and city
        itj = make_venue(name="ITJ" if n == 1 else f"ITJ {n}")
        port = make_venue(
            name="San Ysidro Port of Entry" if n == 1 else f"San Ysidro {n}",
            address="720 E San Ysidro Blvd",
            city="San Diego",
            region="CA",
            country="US",
        )
        plant = make_venue(name=f"Planta Otay {n}", address="Blvd. Industrial 100")
        event = make_event(
            kind=EventKind.VISIT,
            venue=None,
            title_en="Border logistics visit",
            title_es="Visita de logística fronteriza",
            description_en="Two days on both sides of the border.",
            starts_at=instant(TIJUANA, SATURDAY, time(9)),
            ends_at=instant(TIJUANA, SUNDAY, time(12, 30)),
            **({"capacity": 20} | fields),
        )
        event.stops = [
            ItineraryStop(
                position=0,
                title_en="Campus tour",
                title_es="Recorrido del campus",
                starts_at=instant(TIJUANA, SATURDAY, time(9)),
                ends_at=instant(TIJUANA, SATURDAY, time(11)),
                timezone=TIJUANA,
                venue=itj,
            ),
            ItineraryStop(
                position=1,
                title_en="Port of entry briefing",
                starts_at=instant(LOS_ANGELES, SATURDAY, time(15)),
                timezone=LOS_ANGELES,
                venue=port,
            ),
            ItineraryStop(
                position=2,
                title_en="Plant visit",
                starts_at=instant(TIJUANA, SUNDAY, time(10)),
                ends_at=instant(TIJUANA, SUNDAY, time(12, 30)),
                timezone=TIJUANA,
                venue=plant,
            ),
        ]
        db.session.commit()
        return event

    return make


def stop_uids(event: Event) -> list[str]:
    return [f"{event.uid}-stop-{stop.id}" for stop in event.stops]


def expected_times(event: Event) -> dict[str, tuple[datetime, datetime]]:
    """Each stop's entry by UID, where zoneinfo puts it; a stop without an end lasts an hour."""
    return {
        uid: (stop.starts_at, stop.ends_at or stop.starts_at + timedelta(hours=1))
        for uid, stop in zip(stop_uids(event), event.stops, strict=True)
    }


def check_visit_file(data: bytes | str, method: str, event: Event) -> dict[str, icalendar.Event]:
    """Every entry of the file at its stop's time by both parsers, none across a night, each
    related to the visit; a VTIMEZONE in Outlook's shape for each side of the border. Returns
    the VEVENTs by UID."""
    text = data.decode() if isinstance(data, bytes) else data
    found = read_times(text, method)
    expected = expected_times(event)
    assert found == {uid: expected[uid] for uid in found}
    assert event.uid not in found
    for uid, (starts, ends) in found.items():
        zone = event.stops[stop_uids(event).index(uid)].zone
        assert starts.astimezone(zone).date() == ends.astimezone(zone).date()
        assert ends - starts <= timedelta(hours=3)
    zones = vtimezones(text)
    for tzid, vtz in zones.items():
        assert_outlook_shape(vtz, tzid)
    vevents = {str(v["UID"]): v for v in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    other = vobject.readOne(with_unknown_zone_names(text), validate=True)
    for entry in other.vevent_list:
        assert entry.related_to.value == event.uid
        assert entry.related_to.params["RELTYPE"] == ["PARENT"]
    for vevent in vevents.values():
        assert str(vevent["RELATED-TO"]) == event.uid
        assert vevent["RELATED-TO"].params["RELTYPE"] == "PARENT"
    return vevents


# --- Feeds and downloads -----------------------------------------------------------------------


def test_a_two_day_visits_feed_has_one_entry_per_stop_and_none_spans_a_night(
    client, make_visit, answer_rsvp
):
    event = make_visit()
    rsvp = answer_rsvp(event, email=ANA)
    personal = f"/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics"
    for url in ("/calendar.ics", "/calendar/visit.ics", personal):
        vevents = check_visit_file(client.get(url).data, "PUBLISH", event)
        assert list(vevents) == stop_uids(event)
    assert set(vtimezones(client.get("/calendar.ics").data)) == {TIJUANA, LOS_ANGELES}

    tour, briefing, plant = vevents.values()
    assert str(tour["SUMMARY"]) == "Border logistics visit: Campus tour"
    assert str(tour["LOCATION"]).startswith("ITJ, Calzada del Tecnológico S/N")
    assert str(briefing["LOCATION"]).startswith("San Ysidro Port of Entry, 720 E San Ysidro")
    assert str(plant["LOCATION"]).startswith("Planta Otay 1")
    for vevent in vevents.values():
        assert vevent["SEQUENCE"] == event.sequence
        assert str(vevent["STATUS"]) == "CONFIRMED"
        description = str(vevent["DESCRIPTION"])
        assert description.startswith("Two days on both sides of the border.")
        assert "— Campus tour" in description and "— Plant visit" in description
    spanish = icalendar.Calendar.from_ical(client.get("/calendar/visit.ics?lang=es").data)
    assert str(spanish.walk("VEVENT")[0]["SUMMARY"]) == (
        "Visita de logística fronteriza: Recorrido del campus"
    )


def test_the_visits_download_has_the_same_entries(client, make_visit):
    event = make_visit()
    response = client.get(f"/events/{event.slug}.ics")
    assert response.status_code == 200
    assert list(check_visit_file(response.data, "PUBLISH", event)) == stop_uids(event)


def test_a_stop_without_an_end_keeps_the_calendar_busy_for_the_default_length(client, make_visit):
    event = make_visit()
    briefing = event.stops[1]
    found = read_times(client.get("/calendar.ics").data, "PUBLISH")
    starts, ends = found[stop_uids(event)[1]]
    assert (starts, ends - starts) == (briefing.starts_at, DEFAULT_STOP_LENGTH)
    assert starts == datetime.combine(SATURDAY, time(23), UTC)  # 15:00 PST


def test_a_cancelled_visit_is_cancelled_in_every_stop_entry(client, make_visit):
    event = make_visit(status=EventStatus.CANCELLED, sequence=4)
    vevents = check_visit_file(client.get("/calendar.ics").data, "PUBLISH", event)
    assert len(vevents) == 3
    for vevent in vevents.values():
        assert str(vevent["STATUS"]) == "CANCELLED"
        assert str(vevent["SUMMARY"]).startswith("Cancelled: Border logistics visit: ")
        assert vevent["SEQUENCE"] == 4


def test_a_visit_without_stops_and_other_events_stay_one_entry(client, make_event):
    visit = make_event(kind=EventKind.VISIT)
    meeting = make_event()
    cal = icalendar.Calendar.from_ical(client.get("/calendar.ics").data)
    assert sorted(str(v["UID"]) for v in cal.walk("VEVENT")) == sorted([visit.uid, meeting.uid])
    assert all("RELATED-TO" not in v for v in cal.walk("VEVENT"))


def test_a_stop_uid_is_recognised_only_for_its_own_visit(make_visit, make_event):
    event = make_visit()
    other = make_event(kind=EventKind.VISIT)
    first = event.stops[0]
    assert stop_id_of_uid(event, f"{event.uid}-stop-{first.id}") == first.id
    assert is_entry_uid(event, event.uid) and is_entry_uid(event, stop_uids(event)[2])
    for uid in (f"{other.uid}-stop-{first.id}", f"{event.uid}-stop-", f"{event.uid}-stop-1x"):
        assert not is_entry_uid(event, uid)


# --- Invitations to attendees ------------------------------------------------------------------


def received(smtp, address: str = ANA) -> list[EmailMessage]:
    """What reaches `address` now."""
    smtp.mailbox.clear()
    deliver_pending()
    return smtp.mailbox.to(address)


def itip(message: EmailMessage, method: str, event: Event) -> tuple[str, int]:
    """The (UID, SEQUENCE) of an emailed invitation, its times checked by both parsers."""
    [text, _attached] = calendar_parts(message)
    [(uid, vevent)] = check_visit_file(text, method, event).items()
    other = vobject.readOne(with_unknown_zone_names(text))
    assert int(other.vevent.sequence.value) == vevent["SEQUENCE"]
    assert other.method.value == method
    return uid, vevent["SEQUENCE"]


def kinds(address: str = ANA) -> list[str]:
    return list(
        db.session.scalars(
            db.select(OutboxMessage.kind)
            .where(OutboxMessage.recipient_email == address)
            .order_by(OutboxMessage.id)
        )
    )


def test_an_attendee_gets_a_request_for_each_stop(make_visit, answer_rsvp, smtp):
    event = make_visit(sequence=2)
    rsvp = answer_rsvp(event, email=ANA)
    confirmation, *entries = received(smtp)
    assert confirmation["Subject"].startswith("You're confirmed:")
    assert [m["Subject"] for m in entries] == [
        "Calendar entry: Border logistics visit: Port of entry briefing",
        "Calendar entry: Border logistics visit: Plant visit",
    ]
    requests = [itip(m, "REQUEST", event) for m in (confirmation, *entries)]
    assert requests == [(uid, 2) for uid in stop_uids(event)]
    assert kinds() == ["rsvp_confirmed", "rsvp_confirmed_entry", "rsvp_confirmed_entry"]
    assert rsvp.ical_sequence_sent == 2
    assert "Port of entry briefing" in entries[0].get_body(("plain",)).get_content()


def test_moving_one_stop_updates_that_entry_only(make_visit, answer_rsvp, smtp):
    event = make_visit()
    answer_rsvp(event, email=ANA)
    before = dict(itip(m, "REQUEST", event) for m in received(smtp))
    tour = event.stops[0]
    update_stop(
        tour,
        StopDetails(
            title_en=tour.title_en,
            title_es=tour.title_es,
            starts_at=instant(TIJUANA, SATURDAY, time(9, 30)),
            ends_at=instant(TIJUANA, SATURDAY, time(11, 30)),
            timezone=TIJUANA,
            venue_id=tour.venue_id,
        ),
        datetime.now(UTC),
    )
    db.session.commit()
    [notice] = received(smtp)
    assert notice["Subject"].startswith("Itinerary updated:")
    uid, sequence = itip(notice, "REQUEST", event)  # at 9:30 now, by both parsers
    assert uid == stop_uids(event)[0] and sequence > before[uid]
    assert expected_times(event)[uid][0] == datetime.combine(SATURDAY, time(17, 30), UTC)


def test_adding_a_stop_sends_its_entry_alone(make_visit, answer_rsvp, smtp):
    event = make_visit()
    answer_rsvp(event, email=ANA)
    received(smtp)
    add_stop(
        event,
        StopDetails(
            title_en="Farewell lunch",
            starts_at=instant(TIJUANA, SUNDAY, time(11, 30)),
            ends_at=instant(TIJUANA, SUNDAY, time(12, 30)),
            timezone=TIJUANA,
        ),
        datetime.now(UTC),
    )
    db.session.commit()
    [notice] = received(smtp)
    assert itip(notice, "REQUEST", event) == (stop_uids(event)[3], event.sequence)


def test_removing_a_stop_cancels_its_entry(make_visit, answer_rsvp, smtp):
    event = make_visit()
    answer_rsvp(event, email=ANA)
    before = dict(itip(m, "REQUEST", event) for m in received(smtp))
    briefing, gone = event.stops[1], stop_uids(event)[1]
    expected = expected_times(event)
    remove_stop(briefing, datetime.now(UTC))
    db.session.commit()
    [notice] = received(smtp)
    [text, _attached] = calendar_parts(notice)
    assert read_times(text, "CANCEL") == {gone: expected[gone]}
    [vevent] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(vevent["LOCATION"]).startswith("San Ysidro Port of Entry")
    assert vevent["SEQUENCE"] > before[gone]
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_cancelling_the_visit_cancels_every_stop_entry_without_waiting(
    app, make_visit, answer_rsvp, smtp
):
    event = make_visit()
    answer_rsvp(event, email=ANA)
    before = dict(itip(m, "REQUEST", event) for m in received(smtp))
    app.config["MAIL_MAX_PER_RECIPIENT_PER_HOUR"] = 1  # what organizers change never waits
    event_services.cancel_event(event, datetime.now(UTC), "Weather")
    db.session.commit()
    cancels = [itip(m, "CANCEL", event) for m in received(smtp)]
    assert [uid for uid, _sequence in cancels] == stop_uids(event)
    assert all(sequence > before[uid] for uid, sequence in cancels)
    assert kinds()[-3:] == ["event_cancelled", "event_cancelled_entry", "event_cancelled_entry"]


def test_withdrawing_cancels_all_of_the_attendees_entries_and_coming_back_restores_them(
    make_visit, answer_rsvp, smtp
):
    event = make_visit()
    rsvp = answer_rsvp(event, email=ANA)
    requested = dict(itip(m, "REQUEST", event) for m in received(smtp))
    services.cancel_rsvp(rsvp, datetime.now(UTC))
    db.session.commit()
    cancelled = dict(itip(m, "CANCEL", event) for m in received(smtp))
    assert list(cancelled) == stop_uids(event)
    assert all(cancelled[uid] > requested[uid] for uid in cancelled)

    services.change_answer(
        rsvp, datetime.now(UTC), attending=True, guests=0, language="en", needs=None
    )
    db.session.commit()
    again = dict(itip(m, "REQUEST", event) for m in received(smtp))
    assert list(again) == stop_uids(event)
    assert all(again[uid] > cancelled[uid] for uid in again)


# --- Answers from calendars --------------------------------------------------------------------


@pytest.fixture
def answers_by_email(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = "reply.example.org"


def reply_to(request: EmailMessage, partstat: str, address: str, guests: int = 0) -> bytes:
    """What a calendar app sends back when its user answers the invitation in `request`."""
    [text, _attached] = calendar_parts(request)
    [vevent] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    return reply(str(vevent["UID"]), vevent["SEQUENCE"], partstat, address, guests)


def reply(uid: str, sequence: int, partstat: str, address: str, guests: int = 0) -> bytes:
    """A Google Calendar answer to the entry `uid`, from `address`."""
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "METHOD:REPLY",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
        f"ATTENDEE;PARTSTAT={partstat};X-NUM-GUESTS={guests}:mailto:{address}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    calendar = "\r\n".join(lines)
    return (
        f"From: <{address}>\r\nTo: <organizer@example.org>\r\nSubject: Answer\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/calendar; charset="UTF-8"; method=REPLY\r\n\r\n'
        f"{calendar}"
    ).encode()


def answer(raw: bytes, addressee) -> InboundMessage:
    message = store_inbound(
        raw,
        recipient=reply_address(addressee),
        envelope_from="someone@example.com",
        source=InboundSource.SMTP,
    )
    process_received()
    return db.session.get(InboundMessage, message.id)


def test_declining_one_stop_keeps_the_attendees_visit(
    answers_by_email, make_visit, answer_rsvp, smtp
):
    event = make_visit()
    rsvp = answer_rsvp(event, email=ANA)
    _confirmation, briefing, _plant = received(smtp)
    message = answer(reply_to(briefing, "DECLINED", ANA), rsvp)
    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.SINGLE_STOP)
    assert reason_label(message.reason) == (
        "An answer to one stop of a visit: answers are for the whole visit for now"
    )
    db.session.refresh(rsvp)
    assert rsvp.status is RsvpStatus.CONFIRMED
    assert received(smtp) == []  # no cancellation of anything


def test_accepting_a_stop_entry_changes_nothing_for_an_attendee(
    answers_by_email, make_visit, answer_rsvp, smtp
):
    event = make_visit(guest_limit=3)
    rsvp = answer_rsvp(event, email=ANA, guests=1)
    _confirmation, _briefing, plant = received(smtp)
    # Guests are for the whole visit: a stop's entry does not change them.
    message = answer(reply_to(plant, "ACCEPTED", ANA, guests=3), rsvp)
    assert message.status is InboundStatus.APPLIED
    assert "no change" in message.detail
    db.session.refresh(rsvp)
    assert (rsvp.status, rsvp.guests) == (RsvpStatus.CONFIRMED, 1)
    assert received(smtp) == []


def test_an_invitee_accepts_a_visit_from_its_first_stop_and_gets_every_stop(
    answers_by_email, make_visit, invite, smtp
):
    event = make_visit(visibility=Visibility.INVITE_ONLY)
    [invitation] = invite(event, f"Ana <{ANA}>")
    [invited] = received(smtp)
    first = stop_uids(event)[0]
    assert itip(invited, "REQUEST", event) == (first, event.sequence)

    message = answer(reply_to(invited, "ACCEPTED", ANA), invitation)
    assert message.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, message.rsvp_id).status is RsvpStatus.CONFIRMED
    confirmed = [itip(m, "REQUEST", event) for m in received(smtp)]
    assert [uid for uid, _sequence in confirmed] == stop_uids(event)  # the first one updated


def test_an_invitee_declining_the_first_stop_declines_the_visit(
    answers_by_email, make_visit, invite, smtp
):
    event = make_visit(visibility=Visibility.INVITE_ONLY)
    [invitation] = invite(event, f"Ana <{ANA}>")
    [invited] = received(smtp)
    message = answer(reply_to(invited, "DECLINED", ANA), invitation)
    assert message.status is InboundStatus.APPLIED
    assert db.session.get(Rsvp, message.rsvp_id).status is RsvpStatus.DECLINED  # their answer


def test_an_answer_to_another_visits_stop_is_about_another_event(
    answers_by_email, make_visit, answer_rsvp
):
    event = make_visit()
    other = make_visit()
    rsvp = answer_rsvp(event, email=ANA)
    message = answer(reply(stop_uids(other)[0], other.sequence, "DECLINED", ANA), rsvp)
    assert (message.status, message.reason) == (InboundStatus.IGNORED, Reason.WRONG_EVENT)
    db.session.refresh(rsvp)
    assert rsvp.status is RsvpStatus.CONFIRMED

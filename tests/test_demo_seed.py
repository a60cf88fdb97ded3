"""The demo is seeded through the services organizers use: local times through app/timezones.py
(right on both sides of a daylight-saving change), organizations and venues found as organizers'
are, invitations and answers as invitees and attendees give them."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.audit.models import AuditEntry
from app.demo.seed import local_instant, seed_demo
from app.events.directory import NewVenue
from app.events.models import Event, EventKind, EventStatus, Organization, Venue
from app.events.services import EventDetails, cancel_event, create_event, publish_event
from app.extensions import db
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp, RsvpStatus
from app.text import fold
from app.timezones import NonexistentLocalTime, to_utc

TIJUANA = "America/Tijuana"
ITJ = "stakeholder-working-group-itj"
BOARD = "board-of-directors-meeting"
VISIT = "ambassador-calibaja-visit"
PLENARY = "binational-bridges-border-crossings-plenary"
# A Monday two weeks before clocks in California and Baja California spring forward (March 14).
SPRING_TODAY = date(2027, 3, 1)
SPRING_NOW = datetime(2027, 3, 1, 18, tzinfo=UTC)


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def seed(today: date = SPRING_TODAY, now: datetime = SPRING_NOW) -> dict[str, Event]:
    events = {event.slug: event for event in seed_demo(today, now)}
    db.session.commit()
    return events


def rows(model, **where) -> list:
    return list(db.session.scalars(db.select(model).filter_by(**where).order_by(model.id)))


def newest_message_id() -> int:
    return db.session.scalar(db.select(db.func.max(OutboxMessage.id))) or 0


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(
            SPRING_TODAY,
            {
                # Two days before a Monday after the switch: the deadline is still on standard
                # time, at the meeting's 9:00 (counting 48 hours back would make it 8:00).
                ITJ: (utc(2027, 3, 15, 16), utc(2027, 3, 15, 18), utc(2027, 3, 13, 17)),
                "stakeholder-working-group-sdrcc": (utc(2027, 2, 8, 17), utc(2027, 2, 8, 19), None),
                VISIT: (utc(2027, 3, 22, 15, 30), utc(2027, 3, 23, 20), None),
                PLENARY: (utc(2027, 4, 19, 15), utc(2027, 4, 20, 20), None),  # no DST
            },
            id="spring-forward",
        ),
        pytest.param(
            date(2026, 10, 19),  # a Monday two weeks before clocks fall back (November 1)
            {
                ITJ: (utc(2026, 11, 2, 17), utc(2026, 11, 2, 19), utc(2026, 10, 31, 16)),
                "stakeholder-working-group-sdrcc": (
                    utc(2026, 9, 28, 16),
                    utc(2026, 9, 28, 18),
                    None,
                ),
                VISIT: (utc(2026, 11, 9, 16, 30), utc(2026, 11, 10, 21), None),
                PLENARY: (utc(2026, 12, 7, 15), utc(2026, 12, 8, 20), None),
            },
            id="fall-back",
        ),
    ],
)
def test_demo_times_are_local_wall_clock_times_across_a_dst_change(app, today, expected):
    events = seed(today, datetime.combine(today, datetime.min.time(), UTC))

    for slug, (starts_at, ends_at, deadline) in expected.items():
        event = events[slug]
        assert (event.starts_at, event.ends_at, event.rsvp_deadline) == (
            starts_at,
            ends_at,
            deadline,
        ), slug
    # A visit's stops keep their own clocks: 15:00 at CBX is 15:00 in Tijuana, either season.
    cbx = next(stop for stop in events[VISIT].stops if stop.venue.name.startswith("Cross"))
    local = cbx.starts_at.astimezone(ZoneInfo(TIJUANA))
    assert (local.date(), local.hour, local.minute) == (
        events[VISIT].starts_at.astimezone(ZoneInfo(TIJUANA)).date(),
        15,
        0,
    )


def test_a_time_the_clocks_skip_is_refused_as_the_organizers_form_refuses_it():
    with pytest.raises(NonexistentLocalTime):
        local_instant(date(2027, 3, 14), "02:30", TIJUANA)


def test_a_demo_event_is_what_an_organizer_making_it_gets(app):
    demo = seed()[ITJ]
    # The same meeting, typed into the organizer's form and published.
    twin = create_event(
        EventDetails(
            kind=EventKind.STAKEHOLDER_MEETING,
            title_en="Stakeholder Working Group Meeting",
            title_es="Reunión del Grupo de Trabajo de Actores Clave",
            description_en=demo.description_en,
            description_es=demo.description_es,
            starts_at=to_utc(datetime(2027, 3, 15, 9), TIJUANA),
            ends_at=to_utc(datetime(2027, 3, 15, 11), TIJUANA),
            timezone=TIJUANA,
            new_venue=NewVenue("Instituto Tecnológico de Tijuana", "Tijuana", "MX"),
            new_hosts=["Instituto Tecnológico de Tijuana"],
            new_partners=["Smart Border Coalition"],
            capacity=60,
            guest_limit=1,
            rsvp_deadline=to_utc(datetime(2027, 3, 13, 9), TIJUANA),
        )
    )
    publish_event(twin, SPRING_NOW)
    db.session.commit()

    identity = {"id", "slug", "uid", "created_at", "updated_at"}
    for column in Event.__table__.columns:
        if column.key not in identity:
            assert getattr(demo, column.key) == getattr(twin, column.key), column.key
    assert demo.sequence == 1  # created, then published
    assert [(o.organization_id, o.role, o.position) for o in demo.organizations] == [
        (o.organization_id, o.role, o.position) for o in twin.organizations
    ]
    assert demo.uid.endswith("@convoca") and demo.uid != twin.uid
    assert rows(AuditEntry) == []  # nobody signed in: nothing to attribute


def test_demo_reuses_organizations_and_venues_an_organizer_typed_in_another_case(app):
    mine = create_event(
        EventDetails(
            kind=EventKind.STAKEHOLDER_MEETING,
            title_en="Coalition breakfast",
            starts_at=utc(2027, 3, 2, 16),
            ends_at=utc(2027, 3, 2, 17),
            timezone=TIJUANA,
            new_venue=NewVenue("instituto tecnológico de tijuana", "TIJUANA", "MX"),
            new_hosts=["smart border coalition"],
        )
    )
    db.session.commit()
    coalition, venue = mine.hosts[0], mine.venue

    events = seed()

    assert [o.id for o in rows(Organization) if o.name.lower() == "smart border coalition"] == [
        coalition.id
    ]
    assert [v.id for v in rows(Venue) if v.name.lower().startswith("instituto")] == [venue.id]
    assert events[ITJ].venue.id == venue.id
    assert coalition in events[ITJ].partners
    assert coalition.website == "https://smartbordercoalition.com"


def test_board_invitees_are_invited_and_answer_through_their_invitations(app):
    board = seed()[BOARD]

    invitations = {i.email: i for i in rows(Invitation, event_id=board.id)}
    assert sorted(invitations) == [
        "michael.brennan@example.org",
        "patricia.gomez@example.org",
        "thomas.reed@example.org",
        "veronica.salas@example.org",
    ]
    assert invitations["patricia.gomez@example.org"].language == "es"
    assert all(i.send_count == 1 for i in invitations.values())
    answers = {r.email: r.status for r in rows(Rsvp, event_id=board.id)}
    assert answers == {
        "patricia.gomez@example.org": RsvpStatus.CONFIRMED,
        "thomas.reed@example.org": RsvpStatus.CONFIRMED,
        "veronica.salas@example.org": RsvpStatus.DECLINED,
    }
    emailed = [m.recipient_email for m in rows(OutboxMessage)]
    for address in invitations:
        assert address in emailed  # the invitation email the service sends


def test_sample_attendees_answer_as_the_rsvp_form_does(app):
    visit = seed()[VISIT]

    lucia = rows(Rsvp, event_id=visit.id, email="lucia.hernandez@example.org")[0]
    assert (lucia.status, lucia.language) == (RsvpStatus.CONFIRMED, "es")
    assert lucia.search_text == fold(
        "Lucía Hernández Ortega lucia.hernandez@example.org Consejo de Desarrollo de Tijuana"
    )
    # The confirmation, with the first stop's calendar entry, then one entry per further stop.
    sent = rows(OutboxMessage, rsvp_id=lucia.id)
    assert [m.kind for m in sent] == ["rsvp_confirmed"] + ["rsvp_confirmed_entry"] * (
        len(visit.stops) - 1
    )
    assert {m.language for m in sent} == {"es"}
    declined = rows(Rsvp, event_id=visit.id, status=RsvpStatus.DECLINED)
    assert [r.email for r in declined] == ["rosa.castaneda@example.org"]


def test_events_that_are_over_get_no_sample_invitations_or_answers(app):
    seed(SPRING_TODAY, SPRING_NOW + timedelta(days=365))

    assert rows(Invitation) == rows(Rsvp) == rows(OutboxMessage) == []


def test_seeding_again_a_week_later_moves_events_as_an_organizers_edit_would(app):
    before = seed()
    starts = {slug: event.starts_at for slug, event in before.items()}
    sequences = {slug: event.sequence for slug, event in before.items()}
    stop_clocks = [(s.starts_at.astimezone(s.zone).time(), s.venue_id) for s in before[VISIT].stops]
    last_message = newest_message_id()

    after = seed(SPRING_TODAY + timedelta(days=7), SPRING_NOW + timedelta(days=7))

    for slug, event in after.items():
        assert event.starts_at - starts[slug] == timedelta(days=7), slug
        assert event.sequence == sequences[slug] + 1, slug  # calendars replace their copy
    assert [
        (s.starts_at.astimezone(s.zone).time(), s.venue_id) for s in after[VISIT].stops
    ] == stop_clocks
    told = {
        m.recipient_email
        for m in db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.id > last_message))
    }
    confirmed = {r.email for r in rows(Rsvp, status=RsvpStatus.CONFIRMED)}
    assert told == confirmed and len(told) == 6  # attendees hear of the move; no one else


def test_an_event_an_organizer_cancelled_stays_cancelled_when_seeded_again(app):
    plenary = seed()[PLENARY]
    cancel_event(plenary, SPRING_NOW)
    db.session.commit()
    sequence = plenary.sequence

    again = seed()[PLENARY]

    assert again.status is EventStatus.CANCELLED
    assert again.sequence == sequence

"""`flask seed-demo`: the demo calendar is idempotent and matches the coalition's real events."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func

from app.demo.seed import seed_demo
from app.events.models import (
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
    Organization,
    Venue,
    Visibility,
)
from app.extensions import db
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(db.select(func.count()).select_from(model))
        for model in (
            Event,
            Organization,
            Venue,
            ItineraryStop,
            EventOrganization,
            Invitation,
            Rsvp,
            OutboxMessage,
        )
    }


def demo_event(slug: str) -> Event:
    db.session.expire_all()  # read what the command committed, not a stale copy
    return db.session.scalars(db.select(Event).where(Event.slug == slug)).one()


def local_clock(moment: datetime, zone: str) -> tuple[date, time]:
    local = moment.astimezone(ZoneInfo(zone))
    return local.date(), local.time()


def local_days(starts_at: datetime, ends_at: datetime, zone: str) -> list[date]:
    first = starts_at.astimezone(ZoneInfo(zone)).date()
    last = ends_at.astimezone(ZoneInfo(zone)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def test_seed_demo_twice_does_not_duplicate_anything(runner, seeded):
    first = counts()
    calendar = {e.slug: (e.uid, e.sequence) for e in db.session.scalars(db.select(Event))}

    again = runner.invoke(args=["seed-demo"])

    assert again.exit_code == 0, again.output
    assert "Demo calendar ready" in again.output
    assert first["Event"] >= 7
    assert first["ItineraryStop"] >= 6
    assert first["Rsvp"] >= 5 and first["Invitation"] >= 4
    assert counts() == first  # no email either: the sample attendees are told nothing new
    db.session.expire_all()
    # Slugs and calendar UIDs stay put, so links and subscribed calendars keep working; nothing
    # changed, so SEQUENCE stays too and calendars keep their copy.
    assert {e.slug: (e.uid, e.sequence) for e in db.session.scalars(db.select(Event))} == calendar


def test_demo_has_upcoming_and_past_public_events(client, seeded):
    upcoming = client.get("/").text
    past = client.get("/past").text

    assert "Stakeholder Working Group Meeting" in upcoming
    assert "Binational Bridges and Border Crossings Group Plenary" in upcoming
    assert "AmCham Vice President" in past
    assert "AmCham Vice President" not in upcoming
    assert "Board of Directors" not in upcoming + past  # invite-only
    assert "(planning)" not in upcoming + past  # a draft


def test_board_meeting_is_invite_only_at_the_consulate_noon_to_two_tijuana_time(client, seeded):
    board = demo_event("board-of-directors-meeting")

    assert board.kind is EventKind.BOARD_MEETING
    assert board.visibility is Visibility.INVITE_ONLY
    assert board.venue.name == "U.S. Consulate General Tijuana"
    assert (board.venue.city, board.venue.country) == ("Tijuana", "MX")
    assert board.timezone == "America/Tijuana"
    start_day, start = local_clock(board.starts_at, board.timezone)
    end_day, end = local_clock(board.ends_at, board.timezone)
    assert (start_day, start, end) == (end_day, time(12), time(14))
    assert client.get(f"/events/{board.slug}").status_code == 404


def test_plenary_runs_two_days_in_mexico_city(client, seeded):
    plenary = demo_event("binational-bridges-border-crossings-plenary")

    assert plenary.timezone == "America/Mexico_City"
    assert plenary.venue.city == "Ciudad de México"
    assert plenary.venue.name == "Secretaría de Relaciones Exteriores"
    assert {org.display_name for org in plenary.hosts} == {"SRE", "U.S. Department of State"}
    start_day, start = local_clock(plenary.starts_at, plenary.timezone)
    end_day, end = local_clock(plenary.ends_at, plenary.timezone)
    assert end_day - start_day == timedelta(days=1)
    assert (start, end) == (time(9), time(14))
    assert plenary.is_multi_day
    assert plenary.starts_at > datetime.now(UTC)
    assert "CST" in client.get(f"/events/{plenary.slug}").text


@pytest.mark.parametrize("slug", ["amcham-vice-president-visit", "ambassador-calibaja-visit"])
def test_visits_have_stops_on_both_sides_of_the_border(seeded, slug):
    visit = demo_event(slug)

    assert visit.kind is EventKind.VISIT
    assert {stop.venue.country for stop in visit.stops} == {"US", "MX"}
    assert [stop.position for stop in visit.stops] == list(range(len(visit.stops)))
    starts = [stop.starts_at for stop in visit.stops]
    assert starts == sorted(starts)
    for stop in visit.stops:
        assert visit.starts_at <= stop.starts_at < stop.ends_at <= visit.ends_at, stop.title_en


def test_amcham_visit_is_a_side_chat_in_san_diego_then_a_keynote_in_tijuana(seeded):
    visit = demo_event("amcham-vice-president-visit")

    chat, keynote = visit.stops
    assert (chat.title_en, chat.venue.city, chat.venue.country) == (
        "Border Side Chat",
        "San Diego",
        "US",
    )
    assert chat.venue.name == "San Diego Regional Chamber of Commerce"
    assert (keynote.venue.name, keynote.venue.country) == ("Tijuana Trade Center", "MX")
    assert visit.ends_at < datetime.now(UTC)


def test_stakeholder_meeting_is_hosted_by_itj_nine_to_eleven_tijuana_time(client, seeded):
    meeting = demo_event("stakeholder-working-group-itj")

    assert meeting.kind is EventKind.STAKEHOLDER_MEETING
    assert meeting.status is EventStatus.PUBLISHED
    assert [org.display_name for org in meeting.hosts] == ["ITJ"]
    assert meeting.timezone == "America/Tijuana"
    assert meeting.venue.city == "Tijuana"
    start_day, start = local_clock(meeting.starts_at, meeting.timezone)
    end_day, end = local_clock(meeting.ends_at, meeting.timezone)
    assert (start_day, start, end) == (end_day, time(9), time(11))
    page = client.get("/").text
    assert "Hosted by ITJ" in page
    assert "9:00–11:00 AM P" in page  # PST or PDT, depending on the season


@pytest.mark.parametrize("offset", range(7))
def test_no_demo_meeting_falls_on_a_weekend(app, offset):
    # Seed as if today were each day of one week, so every weekday lands on every event.
    today = date(2026, 8, 3) + timedelta(days=offset)

    events = seed_demo(today)
    db.session.commit()

    for event in events:
        days = local_days(event.starts_at, event.ends_at, event.timezone)
        assert all(day.weekday() < 5 for day in days), (event.slug, days)
        for stop in event.stops:
            (day,) = set(local_days(stop.starts_at, stop.ends_at, stop.timezone))
            assert day.weekday() < 5, (event.slug, stop.title_en, day)


def test_the_demo_has_an_organizer_account_to_sign_in_with(client, seeded):
    from app.demo.data import DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD

    assert DEMO_ORGANIZER_EMAIL in seeded.output and DEMO_ORGANIZER_PASSWORD in seeded.output
    signed_in = client.post(
        "/organizer/login",
        data={"email": DEMO_ORGANIZER_EMAIL, "password": DEMO_ORGANIZER_PASSWORD},
    )
    assert signed_in.status_code == 302
    assert "Board of Directors" in client.get("/organizer/").text  # invite-only, seen by organizers


def test_production_gets_no_demo_account(app, runner):
    from app.accounts.models import User

    app.config["SEED_DEMO_ORGANIZER"] = False  # as under CONVOCA_ENV=production
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Organizer sign-in" not in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_only_development_seeds_the_demo_account():
    from config import DevelopmentConfig, ProductionConfig

    assert DevelopmentConfig.SEED_DEMO_ORGANIZER and not ProductionConfig.SEED_DEMO_ORGANIZER

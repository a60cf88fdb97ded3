"""Every calendar file we write, read as Outlook and other calendars read it.

Each VTIMEZONE is one STANDARD and one DAYLIGHT with yearly rules (a single STANDARD without
DST), the shape Outlook understands. Times are read back from the feeds, the downloads and the
emailed REQUEST and CANCEL, by icalendar and by vobject, with the zone names made unknown so
that only the VTIMEZONE can place them, and must land on zoneinfo's instants: around each DST
change and on the very days of the changes, in every zone the forms offer.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from flask_babel import force_locale, gettext
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.events.models import Event, EventStatus, Visibility
from app.extensions import db
from app.ical import advance_attendee_sequence
from app.mail.sender import deliver_pending
from app.rsvps import services
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.notifications import queue_promoted
from app.timezones import SUGGESTED_ZONES
from app.tokens import Purpose, make_token
from app.vtimezone import vtimezone
from tests.conftest import once
from tests.event_forms import edit_data

pytestmark = once

# Zones with DST follow the US rules (Tijuana too, since 2010): from 02:00 on the 2nd Sunday of
# March to 02:00 on the 1st Sunday of November. The others keep one offset all year.
DST_ZONES = {
    "America/Tijuana",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
}
FIXED_OFFSETS = {
    "America/Mexico_City": -6,  # no DST since October 2022
    "America/Monterrey": -6,
    "America/Hermosillo": -7,
    "America/Phoenix": -7,
    "America/Cancun": -5,
}
TIJUANA = "America/Tijuana"
MEXICO_CITY = "America/Mexico_City"
YEAR = date.today().year + 1  # always ahead: RSVPs are open and every feed lists the events


def test_every_zone_the_forms_offer_is_covered_here():
    assert set(SUGGESTED_ZONES) == DST_ZONES | set(FIXED_OFFSETS)


def nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


SPRING = nth_sunday(YEAR, 3, 2)
FALL = nth_sunday(YEAR, 11, 1)
DAY = timedelta(days=1)

# (local date, local start, hours it lasts): either side of each change and across it on the
# day itself; 01:30 on the fall day is its first occurrence, still on daylight time.
TIMES = [
    (date(YEAR, 1, 15), time(9), 2),
    (SPRING - DAY, time(9), 2),
    (SPRING, time(1), 2),
    (SPRING, time(9), 2),
    (SPRING + DAY, time(9), 2),
    (date(YEAR, 7, 15), time(9), 2),
    (FALL - DAY, time(9), 2),
    (FALL, time(1, 30), 2),
    (FALL, time(9), 2),
    (FALL + DAY, time(9), 2),
]


def span(zone: str, day: date, start: time, hours: int) -> tuple[datetime, datetime]:
    """The event's instants as zoneinfo has them; `hours` of real time, whatever the clocks do."""
    starts = datetime.combine(day, start, ZoneInfo(zone)).astimezone(UTC)
    return starts, starts + timedelta(hours=hours)


def make_events(make_event, zone: str, times=TIMES) -> dict[str, tuple[datetime, datetime]]:
    """Events at `times` in `zone`; their instants by UID, as zoneinfo gives them."""
    expected = {}
    for day, start, hours in times:
        starts, ends = span(zone, day, start, hours)
        event = make_event(zone=zone, starts_at=starts, ends_at=ends)
        expected[event.uid] = (starts, ends)
    return expected


# --- Reading files back ------------------------------------------------------------------------


def with_unknown_zone_names(text: str) -> str:
    """The calendar with every TZID renamed to a name no library knows (and unique, since
    vobject keeps the zones it has seen in a process-wide registry): only its VTIMEZONEs can
    place its times now, as for Outlook, which uses Windows zone names."""
    suffix = uuid.uuid4().hex
    renamed = re.sub(r"(TZID[:=])([^:;\r\n]+)", rf"\1Convoca-\2-{suffix}", text)
    assert "TZID:America/" not in renamed and "TZID=America/" not in renamed
    return renamed


def read_times(data: bytes | str, method: str) -> dict[str, tuple[datetime, datetime]]:
    """UID -> (DTSTART, DTEND) in UTC, the same from icalendar as it is, icalendar on the
    renamed zones, and vobject on the renamed zones; fails if any of them disagree."""
    text = data.decode() if isinstance(data, bytes) else data
    renamed = with_unknown_zone_names(text)
    readings = []
    for cal in (icalendar.Calendar.from_ical(text), icalendar.Calendar.from_ical(renamed)):
        assert cal["METHOD"] == method
        readings.append(
            {
                str(v["UID"]): (
                    v.decoded("DTSTART").astimezone(UTC),
                    v.decoded("DTEND").astimezone(UTC),
                )
                for v in cal.walk("VEVENT")
            }
        )
    other = vobject.readOne(renamed, validate=True)
    assert other.method.value == method
    readings.append(
        {
            e.uid.value: (e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC))
            for e in other.vevent_list
        }
    )
    for reading in readings[1:]:
        assert reading == readings[0]
    return readings[0]


def vtimezones(data: bytes | str) -> dict[str, icalendar.Timezone]:
    text = data.decode() if isinstance(data, bytes) else data
    return {str(tz["TZID"]): tz for tz in icalendar.Calendar.from_ical(text).walk("VTIMEZONE")}


def offset(zone: str, day: date) -> timedelta:
    return datetime.combine(day, time(12), ZoneInfo(zone)).utcoffset()


def rule(observance) -> dict[str, list[str]]:
    """The RRULE's parts as text, e.g. {"FREQ": ["YEARLY"], "BYDAY": ["2SU"], ...}."""
    recur = icalendar.vRecur.from_ical(observance["RRULE"].to_ical().decode())
    return {part: [str(v) for v in values] for part, values in recur.items()}


def assert_outlook_shape(vtz: icalendar.Timezone, zone: str) -> None:
    """One STANDARD and one DAYLIGHT, each a yearly rule with no end, changing at 02:00 local
    on the US Sundays; or, without DST, a single STANDARD that keeps one offset."""
    observances = vtz.subcomponents
    assert all("RDATE" not in o and "EXDATE" not in o for o in observances)
    assert "COMMENT" not in vtz
    if zone in FIXED_OFFSETS:
        [standard] = observances
        assert standard.name == "STANDARD" and "RRULE" not in standard
        fixed = timedelta(hours=FIXED_OFFSETS[zone])
        assert standard.decoded("TZOFFSETFROM") == standard.decoded("TZOFFSETTO") == fixed
        return
    assert sorted(o.name for o in observances) == ["DAYLIGHT", "STANDARD"]
    [standard] = [o for o in observances if o.name == "STANDARD"]
    [daylight] = [o for o in observances if o.name == "DAYLIGHT"]
    winter, summer = offset(zone, date(YEAR, 1, 15)), offset(zone, date(YEAR, 7, 15))
    for observance, month, byday, offsets in (
        (daylight, "3", "2SU", (winter, summer)),
        (standard, "11", "1SU", (summer, winter)),
    ):
        assert rule(observance) == {"FREQ": ["YEARLY"], "BYMONTH": [month], "BYDAY": [byday]}
        start = observance.decoded("DTSTART")
        assert start.tzinfo is None and start.time() == time(2)  # the clocks before the change
        assert start.date() == nth_sunday(start.year, int(month), int(byday[0]))
        assert (observance.decoded("TZOFFSETFROM"), observance.decoded("TZOFFSETTO")) == offsets


def check_file(data: bytes | str, method: str, zone: str, expected: dict) -> set[str]:
    """Every event of the file where zoneinfo puts it, by all three readings, and the zone's
    VTIMEZONE in Outlook's shape. Returns the UIDs found."""
    found = read_times(data, method)
    assert found and found == {uid: expected[uid] for uid in found}
    [(tzid, vtz)] = vtimezones(data).items()
    assert tzid == zone
    assert_outlook_shape(vtz, zone)
    return set(found)


def calendar_parts(message: EmailMessage) -> list[str]:
    """The invitation of an email, both as the text/calendar alternative and as invite.ics."""
    found = [
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/calendar" or part.get_filename() == "invite.ics"
    ]
    assert len(found) == 2 and found[0].replace("\r\n", "\n") == found[1].replace("\r\n", "\n")
    return found


# --- Every file, every zone --------------------------------------------------------------------


@pytest.mark.parametrize("zone", SUGGESTED_ZONES)
def test_every_file_places_events_right_around_dst_changes(
    client, make_event, answer_rsvp, smtp, zone
):
    expected = make_events(make_event, zone)
    for url in ("/calendar.ics", "/calendar/stakeholder_meeting.ics"):
        response = client.get(url)
        assert response.status_code == 200
        assert check_file(response.data, "PUBLISH", zone, expected) == set(expected)

    rsvps = [answer_rsvp(event, email="ana@example.com") for event in events_by_uid(expected)]
    personal = client.get(f"/calendar/me/{make_token(rsvps[0], Purpose.FEED)}.ics")
    assert check_file(personal.data, "PUBLISH", zone, expected) == set(expected)
    for rsvp in rsvps:
        single = client.get(f"/events/{rsvp.event.slug}.ics")
        assert check_file(single.data, "PUBLISH", zone, expected) == {rsvp.event.uid}

    deliver_pending()
    requests = [calendar_parts(m)[0] for m in smtp.mailbox]  # the attachment is the same text
    uids = [check_file(text, "REQUEST", zone, expected) for text in requests]
    assert sorted(uid for found in uids for uid in found) == sorted(expected)

    # CANCELs come from the same builder: those of the days of the changes are enough.
    on_change_days = [
        r for r in rsvps if r.event.starts_at.astimezone(r.event.zone).date() in (SPRING, FALL)
    ]
    for rsvp in on_change_days:
        services.cancel_rsvp(rsvp, datetime.now(UTC))
        db.session.commit()
    smtp.mailbox.clear()
    deliver_pending()
    cancels = [calendar_parts(m)[0] for m in smtp.mailbox]
    uids = [check_file(text, "CANCEL", zone, expected) for text in cancels]
    assert sorted(uid for found in uids for uid in found) == sorted(
        r.event.uid for r in on_change_days
    )
    assert len(on_change_days) == 4


def events_by_uid(expected: dict) -> list[Event]:
    return db.session.scalars(
        db.select(Event).where(Event.uid.in_(expected)).order_by(Event.starts_at)
    ).all()


def test_hand_checked_instants_in_tijuana(client, make_event):
    """The same rules written out by hand, so that zoneinfo is not the only judge."""
    expected = make_events(make_event, TIJUANA)
    found = read_times(client.get("/calendar.ics").data, "PUBLISH")
    starts = sorted(start for start, _end in found.values())
    pst, pdt = timedelta(hours=8), timedelta(hours=7)
    assert starts == sorted(
        [
            datetime.combine(date(YEAR, 1, 15), time(9), UTC) + pst,
            datetime.combine(SPRING - DAY, time(9), UTC) + pst,
            datetime.combine(SPRING, time(1), UTC) + pst,  # just before 02:00 turns 03:00
            datetime.combine(SPRING, time(9), UTC) + pdt,
            datetime.combine(SPRING + DAY, time(9), UTC) + pdt,
            datetime.combine(date(YEAR, 7, 15), time(9), UTC) + pdt,
            datetime.combine(FALL - DAY, time(9), UTC) + pdt,
            datetime.combine(FALL, time(1, 30), UTC) + pdt,  # the first of the two 1:30s
            datetime.combine(FALL, time(9), UTC) + pst,
            datetime.combine(FALL + DAY, time(9), UTC) + pst,
        ]
    )
    assert found == expected


def test_a_feed_with_every_zone_has_one_vtimezone_each_in_outlooks_shape(client, make_event):
    for zone in SUGGESTED_ZONES:
        make_event(zone=zone, days=30)
    data = client.get("/calendar.ics").data
    found = vtimezones(data)
    assert set(found) == set(SUGGESTED_ZONES)
    for zone, vtz in found.items():
        assert_outlook_shape(vtz, zone)
    assert b"RDATE" not in data and b"only works from" not in data
    assert len(read_times(data, "PUBLISH")) == len(SUGGESTED_ZONES)


# --- A change of rules within a feed: Mexico City's last DST, in 2022 ---------------------------


@pytest.fixture
def keep_everything(app):
    app.config["FEED_PAST_DAYS"] = 365 * 100


MEXICO_2022 = [
    (date(2022, 1, 15), time(9), 2),
    (date(2022, 4, 2), time(9), 2),
    (date(2022, 4, 3), time(1, 30), 2),  # DST began at 02:00 that day
    (date(2022, 4, 4), time(9), 2),
    (date(2022, 7, 15), time(9), 2),
    (date(2022, 10, 29), time(9), 2),
    (date(2022, 10, 30), time(0, 30), 3),  # DST ended at 02:00 that day, for good
    (date(2022, 10, 31), time(9), 2),
    (date(2023, 4, 3), time(9), 2),
    (date(2023, 7, 15), time(9), 2),
]


def test_the_end_of_dst_in_mexico_city_still_converts_right(client, make_event, keep_everything):
    expected = make_events(make_event, MEXICO_CITY, MEXICO_2022)
    assert expected[next(iter(expected))][0] == datetime(2022, 1, 15, 15, tzinfo=UTC)
    data = client.get("/calendar.ics").data
    assert read_times(data, "PUBLISH") == expected

    [vtz] = vtimezones(data).values()
    assert b"RDATE" not in data
    old_standard, old_daylight, current = vtz.subcomponents
    # The old rules, each a yearly RRULE that ends with the last change in October 2022...
    assert rule(old_daylight) == {
        "FREQ": ["YEARLY"],
        "UNTIL": ["2022-04-03 08:00:00+00:00"],
        "BYMONTH": ["4"],
        "BYDAY": ["1SU"],
    }
    assert rule(old_standard) == {
        "FREQ": ["YEARLY"],
        "UNTIL": ["2022-10-30 07:00:00+00:00"],
        "BYMONTH": ["10"],
        "BYDAY": ["-1SU"],
    }
    # ...then UTC-6 for good, open-ended.
    assert current.name == "STANDARD" and "RRULE" not in current
    assert current.decoded("TZOFFSETFROM") == current.decoded("TZOFFSETTO") == timedelta(hours=-6)
    assert current.decoded("DTSTART") <= datetime(2023, 4, 3)


def test_an_event_inside_one_rule_period_gets_just_that_rule(client, make_event, keep_everything):
    expected = make_events(make_event, MEXICO_CITY, MEXICO_2022)
    by_date = {start.date(): uid for uid, (start, _end) in expected.items()}
    slugs = {event.uid: event.slug for event in events_by_uid(expected)}

    summer_2023 = by_date[date(2023, 7, 15)]
    after = client.get(f"/events/{slugs[summer_2023]}.ics").data
    assert read_times(after, "PUBLISH") == {summer_2023: expected[summer_2023]}
    [vtz] = vtimezones(after).values()
    assert_outlook_shape(vtz, MEXICO_CITY)  # a single STANDARD at UTC-6

    summer_2022 = by_date[date(2022, 7, 15)]
    during = client.get(f"/events/{slugs[summer_2022]}.ics").data
    assert read_times(during, "PUBLISH") == {summer_2022: expected[summer_2022]}
    [vtz] = vtimezones(during).values()
    assert sorted(o.name for o in vtz.subcomponents) == ["DAYLIGHT", "STANDARD"]
    assert all(rule(o)["FREQ"] == ["YEARLY"] for o in vtz.subcomponents)


# --- The derivation itself, on zones with other rules ------------------------------------------

OTHER_ZONES = (
    "Europe/Berlin",  # last Sunday of March and October, at 01:00 UTC
    "America/St_Johns",  # -3:30
    "America/Havana",  # changes at midnight
    "Australia/Sydney",  # southern hemisphere: DST over the new year
    "America/Santiago",
    "America/Sao_Paulo",  # DST until 2019
    "Asia/Tehran",  # fixed dates, not weekdays, until 2022
    "Asia/Tokyo",
    "Pacific/Chatham",  # +12:45
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(SUGGESTED_ZONES + OTHER_ZONES),
    first=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),
    later=st.lists(st.timedeltas(timedelta(0), timedelta(days=3 * 365)), max_size=3),
)
def test_any_vtimezone_places_its_times_where_zoneinfo_does(zone, first, later):
    """A feed spans a few years at most: the first event's time, and others up to 3 years on."""
    first = first.replace(tzinfo=UTC, microsecond=0)
    instants = [first] + [
        first + step - timedelta(microseconds=step.microseconds) for step in later
    ]
    tz = ZoneInfo(zone)
    walls = [i.astimezone(tz) for i in instants]
    # A wall time the clocks show twice cannot be written in local time: the first one is meant.
    assume(all(w.replace(fold=0).utcoffset() == w.utcoffset() for w in walls))
    component = vtimezone(zone, instants)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Convoca tests//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(component)
    for n, wall in enumerate(walls):
        vevent = icalendar.Event()
        vevent.add("uid", str(n))
        vevent.add("dtstamp", datetime(2030, 1, 1, tzinfo=UTC))
        vevent.add("dtstart", wall)
        vevent.add("dtend", wall + timedelta(minutes=1))
        cal.add_component(vevent)
    text = cal.to_ical().decode()
    assert "RDATE" not in text
    for observance in component.subcomponents:
        if "RRULE" in observance:
            assert rule(observance)["FREQ"] == ["YEARLY"]
            assert set(rule(observance)) <= {"FREQ", "BYMONTH", "BYDAY", "UNTIL"}
    found = read_times(text, "PUBLISH")
    assert [found[str(n)][0] for n in range(len(walls))] == instants


def test_a_zone_without_rule_changes_in_reach_gets_one_pair():
    for zone in ("Europe/London", "Australia/Sydney"):
        component = vtimezone(zone, [datetime(2031, 6, 1, tzinfo=UTC)])
        assert sorted(o.name for o in component.subcomponents) == ["DAYLIGHT", "STANDARD"]
        assert all("UNTIL" not in rule(o) for o in component.subcomponents)
    london = vtimezone("Europe/London", [datetime(2031, 6, 1, tzinfo=UTC)])
    assert {rule(o)["BYDAY"][0] for o in london.subcomponents} == {"-1SU"}
    [tokyo] = vtimezone("Asia/Tokyo", [datetime(2031, 6, 1, tzinfo=UTC)]).subcomponents
    assert tokyo.decoded("TZOFFSETTO") == tokyo.decoded("TZOFFSETFROM") == timedelta(hours=9)


# --- SEQUENCE: a personal CANCEL, and the REQUEST after it, are applied ------------------------


def itip_sequence(message: EmailMessage, method: str, uid: str) -> int:
    """The SEQUENCE of an emailed invitation, read by both parsers."""
    [text, _attached] = calendar_parts(message)
    [vevent] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    other = vobject.readOne(with_unknown_zone_names(text))
    assert other.method.value == method == str(icalendar.Calendar.from_ical(text)["METHOD"])
    assert str(vevent["UID"]) == other.vevent.uid.value == uid
    assert int(other.vevent.sequence.value) == vevent["SEQUENCE"]
    return vevent["SEQUENCE"]


def received(smtp, address: str) -> list[EmailMessage]:
    """What reaches `address` now, with an invitation attached."""
    smtp.mailbox.clear()
    deliver_pending()
    return [m for m in smtp.mailbox.to(address) if m.get_content_type() == "multipart/mixed"]


def test_each_invitation_to_an_attendee_is_newer_than_the_last_they_got(
    client, organizer, make_event, answer_rsvp, smtp
):
    event = make_event(slug="forum", sequence=3)
    uid, sent = event.uid, []

    def next_sequence(method: str) -> int:
        [message] = received(smtp, "ana@example.com")
        sequence = itip_sequence(message, method, uid)
        assert all(sequence > earlier for earlier in sent), (method, sequence, sent)
        sent.append(sequence)
        return sequence

    rsvp = answer_rsvp(event, email="ana@example.com")
    # Nothing has happened to her seat yet: the same SEQUENCE as the feeds.
    assert next_sequence("REQUEST") == 3
    assert fetch_sequence(client, uid) == 3

    services.cancel_rsvp(rsvp, datetime.now(UTC))  # she withdraws
    db.session.commit()
    next_sequence("CANCEL")

    services.change_answer(  # and, with her personal link, answers yes again
        rsvp, datetime.now(UTC), attending=True, guests=0, language="en", needs=None
    )
    db.session.commit()
    next_sequence("REQUEST")

    services.change_answer(  # she declines, after having a seat
        rsvp, datetime.now(UTC), attending=False, guests=0, language="en", needs=None
    )
    db.session.commit()
    next_sequence("CANCEL")

    services.change_answer(  # an organizer puts her back
        rsvp,
        datetime.now(UTC),
        attending=True,
        guests=0,
        language="en",
        needs=None,
        by_organizer=True,
    )
    db.session.commit()
    next_sequence("REQUEST")

    # The whole event moves: an update above everything she had.
    local = event.starts_at.astimezone(event.zone) + timedelta(days=1)
    response = client.post(
        "/organizer/events/forum/edit",
        data=edit_data(
            event,
            starts_at=f"{local:%Y-%m-%d}T15:00",
            ends_at=f"{local:%Y-%m-%d}T17:00",
        ),
    )
    assert response.status_code == 302
    next_sequence("REQUEST")

    client.post("/organizer/events/forum/cancel", data={"note": ""})  # and then it is off
    next_sequence("CANCEL")
    assert fetch_sequence(client, uid) == db.session.get(Event, event.id).sequence


def fetch_sequence(client, uid: str) -> int:
    cal = icalendar.Calendar.from_ical(client.get("/calendar.ics").data)
    [vevent] = [v for v in cal.walk("VEVENT") if str(v["UID"]) == uid]
    return vevent["SEQUENCE"]


def test_a_seat_freed_by_a_withdrawal_goes_out_without_disturbing_the_next_in_line(
    make_event, answer_rsvp, smtp
):
    event = make_event(capacity=1)
    ana = answer_rsvp(event, email="ana@example.com")
    bob = answer_rsvp(event, email="bob@example.com")
    assert bob.status is RsvpStatus.WAITLISTED
    [request] = received(smtp, "ana@example.com")
    first = itip_sequence(request, "REQUEST", event.uid)
    services.cancel_rsvp(ana, datetime.now(UTC))
    db.session.commit()
    smtp.mailbox.clear()
    deliver_pending()
    [cancel] = smtp.mailbox.to("ana@example.com")
    [promoted] = smtp.mailbox.to("bob@example.com")
    assert itip_sequence(cancel, "CANCEL", event.uid) > first
    # Bob never had a calendar entry for it: his first one carries the event's SEQUENCE.
    assert itip_sequence(promoted, "REQUEST", event.uid) == event.sequence


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["request", "cancel", "event_update", "event_silent"])))
def test_offsets_keep_every_attendee_message_ordered(steps):
    """Whatever happens in whatever order: a CANCEL is above all before it, a REQUEST is above
    the last CANCEL and never below anything, and an event-wide update is above all."""
    rsvp = Rsvp(ical_sequence_offset=0)
    event_sequence = 0
    history: list[tuple[str, int]] = []
    for step in steps:
        if step in ("event_update", "event_silent"):
            event_sequence += 1  # every event-wide change bumps the event first
            if step == "event_silent":
                continue
        else:
            advance_attendee_sequence(rsvp, step.upper())
        sequence = event_sequence + rsvp.ical_sequence_offset
        earlier = [s for _kind, s in history]
        if step == "request":
            assert all(sequence >= s for s in earlier)
            assert all(sequence > s for kind, s in history if kind == "cancel")
        else:
            assert all(sequence > s for s in earlier)
        history.append((step, sequence))


# --- "Add to Outlook" links --------------------------------------------------------------------


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def outlook_instant(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def check_outlook_link(link: str, host: str, event, language: str = "en") -> None:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        host,
        "/calendar/0/deeplink/compose",
    )
    assert "+" not in parts.query  # spaces as %20: Outlook would show a "+"
    query = parse_qs(parts.query)
    assert all(len(values) == 1 for values in query.values())
    query = {name: values[0] for name, values in query.items()}
    assert query["path"] == "/calendar/action/compose"
    assert query["rru"] == "addevent"
    assert query["subject"] == event.title(language)
    assert outlook_instant(query["startdt"]) == event.starts_at
    assert outlook_instant(query["enddt"]) == event.ends_at
    assert query["location"] == event.venue.one_line
    page = f"http://127.0.0.1/events/{event.slug}" + ("?lang=es" if language == "es" else "")
    assert query["body"].endswith(page)


def test_event_page_offers_outlook_com_and_office_365(client, make_event):
    starts, ends = span(TIJUANA, SPRING + DAY, time(9), 2)
    event = make_event(
        title_en="Board Meeting & Budget",
        title_es="Reunión del Consejo",
        description_en="Quarterly review.",
        starts_at=starts,
        ends_at=ends,
    )
    assert starts == datetime.combine(SPRING + DAY, time(16), UTC)  # 9:00 PDT
    links = hrefs(client.get(f"/events/{event.slug}").text)
    [outlook] = [h for h in links if h.startswith("https://outlook.live.com/")]
    [office] = [h for h in links if h.startswith("https://outlook.office.com/")]
    check_outlook_link(outlook, "outlook.live.com", event)
    check_outlook_link(office, "outlook.office.com", event)
    assert parse_qs(urlsplit(outlook).query)["body"] == [
        f"Quarterly review.\n\nhttp://127.0.0.1/events/{event.slug}"
    ]
    assert "startdt=" + f"{SPRING + DAY:%Y-%m-%d}T16%3A00%3A00Z" in outlook

    spanish = hrefs(client.get(f"/events/{event.slug}?lang=es").text)
    [outlook_es] = [h for h in spanish if h.startswith("https://outlook.live.com/")]
    check_outlook_link(outlook_es, "outlook.live.com", event, "es")


def test_outlook_links_keep_long_descriptions_short(client, make_event):
    event = make_event(description_en="Long agenda. " * 300)
    [outlook] = [
        h
        for h in hrefs(client.get(f"/events/{event.slug}").text)
        if h.startswith("https://outlook.live.com/")
    ]
    body = parse_qs(urlsplit(outlook).query)["body"][0]
    assert len(body) <= 1000
    assert body.endswith(f"…\n\nhttp://127.0.0.1/events/{event.slug}")


def test_no_outlook_links_without_a_public_page(client, organizer, make_event):
    hidden = make_event(visibility=Visibility.INVITE_ONLY)
    cancelled = make_event(status=EventStatus.CANCELLED)
    for event in (hidden, cancelled):
        page = client.get(f"/events/{event.slug}")  # the organizer's preview
        assert page.status_code == 200
        assert not [h for h in hrefs(page.text) if "outlook." in h]


def test_the_confirmation_email_offers_the_web_calendars(make_event, answer_rsvp, smtp):
    event = make_event(title_en="Logistics Forum")
    answer_rsvp(event, email="ana@example.com")
    private = make_event(visibility=Visibility.INVITE_ONLY)
    hidden = Rsvp(
        event=private,
        email="bob@example.com",
        email_key="bob@example.com",
        name="Bob",
        organization="ITJ",
        status=RsvpStatus.CONFIRMED,
    )
    db.session.add(hidden)
    db.session.flush()
    queue_promoted(hidden)
    db.session.commit()
    deliver_pending()

    [message] = smtp.mailbox.to("ana@example.com")
    html = message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    html_links = hrefs(html)
    plain_links = re.findall(r"https://\S+", plain)
    for host in ("outlook.live.com", "outlook.office.com"):
        [in_html] = [h for h in html_links if urlsplit(h).netloc == host]
        [in_plain] = [h for h in plain_links if urlsplit(h).netloc == host]
        assert in_html == in_plain
        check_outlook_link(in_html, host, event)
    assert [h for h in html_links if h.startswith("https://calendar.google.com/")]

    # An invite-only event has no public page to add: its invitation is all there is.
    [invited] = smtp.mailbox.to("bob@example.com")
    assert "outlook." not in invited.get_body(("html",)).get_content()
    assert "outlook." not in invited.get_body(("plain",)).get_content()


# --- Copying a feed's address ------------------------------------------------------------------


def test_feed_addresses_can_be_copied_with_or_without_javascript(client, make_event, answer_rsvp):
    page = client.get("/subscribe")
    # Without JavaScript the address is right there, in a readonly field to select.
    fields = re.findall(r"<input[^>]+>", page.text)
    addresses = [f for f in fields if "readonly" in f and 'type="url"' in f]
    assert len(addresses) == 4
    for field in addresses:
        assert re.search(r'value="http://127\.0\.0\.1/calendar[^"]*\.ics"', field)
        assert 'data-copy="Copy address"' in field and 'data-copied="Copied"' in field
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert '<script src="/static/js/copy.js" defer>' in scripts
    # Self-hosted, not inline (the other is the second clock's).
    assert all(re.match(r'<script src="/static/js/[\w-]+\.js" defer', tag) for tag in scripts)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp

    script = client.get("/static/js/copy.js")
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert "navigator.clipboard.writeText" in script.text
    assert "dataset.copied" in script.text

    spanish = client.get("/subscribe?lang=es").text
    with force_locale("es"):
        copied = gettext("Copied")
    assert f'data-copied="{copied}"' in spanish

    rsvp = answer_rsvp(make_event(), email="ana@example.com")
    manage = client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}").text
    feed_url = f"http://127.0.0.1/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics"
    [field] = [f for f in re.findall(r"<input[^>]+>", manage) if feed_url in unescape(f)]
    assert "readonly" in field and 'data-copy="Copy address"' in field
    assert '<script src="/static/js/copy.js" defer>' in manage

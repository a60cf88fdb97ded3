"""Calendar feeds and downloads, read back with two independent parsers (icalendar and vobject).

Times are checked against instants written out by hand, and once more with the feed's VTIMEZONE
as the only source of zone rules: zones are renamed so no parser can fall back on its own
knowledge of "America/Tijuana", as Outlook (which uses Windows zone names) cannot.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from dateutil.rrule import rrulestr
from werkzeug.http import http_date

from app.events.models import EventKind, EventStatus, ItineraryStop, Visibility
from app.extensions import db
from app.ical import calendar_invite
from app.mail.models import OutboxMessage
from app.rsvps import services
from app.rsvps.models import RsvpStatus
from app.tokens import Purpose, make_token
from tests.conftest import counting_queries

TIJUANA = "America/Tijuana"
LOS_ANGELES = "America/Los_Angeles"
MEXICO_CITY = "America/Mexico_City"

PUBLIC_FEEDS = [
    "/calendar.ics",
    "/calendar/stakeholder_meeting.ics",
    "/calendar/board_meeting.ics",
    "/calendar/visit.ics",
]
VEVENT_REQUIRED = [
    "UID",
    "DTSTAMP",
    "LAST-MODIFIED",
    "SEQUENCE",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "URL",
    "STATUS",
    "CATEGORIES",
    "ORGANIZER",
]


def local(zone: str, year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(zone))


def timed(zone: str, year: int, month: int, day: int, hour: int = 9, hours: int = 2) -> dict:
    """make_event fields for an event at a fixed local time, whatever today is."""
    starts = local(zone, year, month, day, hour)
    return {"zone": zone, "starts_at": starts, "ends_at": starts + timedelta(hours=hours)}


@pytest.fixture
def keep_everything(app):
    """Public feeds keep all past events, so events on fixed dates stay in them for good."""
    app.config["FEED_PAST_DAYS"] = 365 * 100


def only_our_vtimezones(text: str) -> str:
    """The calendar with its TZIDs made unique, so vobject reads the times with the VTIMEZONEs
    in this very file: it would otherwise use a zone of the same name it saw earlier in the
    process (its registry is global, first come first served) or pytz's."""
    suffix = uuid.uuid4().hex
    return re.sub(r"(TZID[:=])([^:;\r\n]+)", rf"\1\2-{suffix}", text)


def parse(data: bytes, method: str = "PUBLISH") -> icalendar.Calendar:
    """Check a calendar's structure with both parsers and return icalendar's reading of it."""
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, f"line not folded: {line!r}"
        assert b"\n" not in line and b"\r" not in line
    text = data.decode("utf-8")

    cal = icalendar.Calendar.from_ical(text)
    assert cal["VERSION"] == "2.0"
    assert "Convoca" in str(cal["PRODID"])
    assert cal["METHOD"] == method
    vevents = cal.walk("VEVENT")
    for vevent in vevents:
        for name in VEVENT_REQUIRED:
            assert name in vevent, f"{name} missing from {vevent.get('UID')}"
        assert str(vevent["URL"]) in str(vevent["DESCRIPTION"])
        assert vevent.decoded("DTSTAMP").tzinfo is not None  # UTC ("Z")
    uids = [str(v["UID"]) for v in vevents]
    assert len(uids) == len(set(uids)), "UIDs repeat"
    used = {v[p].params.get("TZID") for v in vevents for p in ("DTSTART", "DTEND")} - {None}
    defined = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert set(defined) == used and len(defined) == len(set(defined))
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT") if vevents else True

    other = vobject.readOne(only_our_vtimezones(text), validate=True)
    assert other.version.value == "2.0"
    assert other.method.value == method
    other_events = other.contents.get("vevent", [])
    assert [e.uid.value for e in other_events] == uids
    for vevent, theirs in zip(vevents, other_events, strict=True):
        assert theirs.summary.value == str(vevent["SUMMARY"])
        assert theirs.description.value == str(vevent["DESCRIPTION"])
        assert theirs.dtstart.value == vevent.decoded("DTSTART")
        assert theirs.dtend.value == vevent.decoded("DTEND")
        assert theirs.dtstart.value.tzinfo is not None
    other_zones = [tz.tzid.value.rsplit("-", 1)[0] for tz in other.contents.get("vtimezone", [])]
    assert sorted(other_zones) == sorted(defined)
    return cal


def fetch(client, url: str, method: str = "PUBLISH", **headers) -> icalendar.Calendar:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return parse(response.data, method)


def by_uid(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(v["UID"]): v for v in cal.walk("VEVENT")}


def uids(cal: icalendar.Calendar) -> set[str]:
    return set(by_uid(cal))


def vtimezone_offset(vtimezone: icalendar.Timezone, wall_time: datetime) -> timedelta:
    """The UTC offset at a local wall time, worked out from the VTIMEZONE's observances alone
    (their onsets and TZOFFSETTO), without any time zone library."""
    wall_time = wall_time.replace(tzinfo=None)
    onsets = []
    for observance in vtimezone.subcomponents:
        start = observance.decoded("DTSTART")
        moments = [start]
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            moments += [d.dt for d in rdate.dts]
        if "RRULE" in observance:
            rule = rrulestr(observance["RRULE"].to_ical().decode(), dtstart=start)
            moments += rule.between(start, wall_time, inc=True)
        onsets += [(m, observance.decoded("TZOFFSETTO")) for m in moments if m <= wall_time]
    assert onsets, f"{wall_time} is before the VTIMEZONE starts"
    return max(onsets)[1]


# --- Structure, UIDs and time zones ------------------------------------------------------------


def test_every_public_feed_is_a_complete_calendar(client, make_event, make_venue):
    events = [
        make_event(kind=EventKind.STAKEHOLDER_MEETING),
        make_event(kind=EventKind.BOARD_MEETING, zone=LOS_ANGELES),
        make_event(kind=EventKind.VISIT, zone=MEXICO_CITY, days=40),
    ]
    for url in PUBLIC_FEEDS:
        cal = fetch(client, url)
        assert cal["X-WR-CALNAME"] == cal["NAME"]
        assert str(cal["NAME"]).startswith("Smart Border Coalition: ")
        assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
        assert cal.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
        assert icalendar.vDuration.from_ical(str(cal["X-PUBLISHED-TTL"])) == timedelta(hours=1)
    cal = fetch(client, "/calendar.ics")
    assert str(cal["NAME"]) == "Smart Border Coalition: All events"
    assert uids(cal) == {e.uid for e in events}
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {
        TIJUANA,
        LOS_ANGELES,
        MEXICO_CITY,
    }


def test_an_event_carries_what_calendars_show(client, make_event, make_venue, make_organization):
    venue = make_venue(
        name="Tijuana Trade Center", address="Blvd. Agua Caliente 10", city="Tijuana"
    )
    event = make_event(
        venue=venue,
        title_en="Border Side Chat",
        description_en="Nearshoring and the border.",
        sequence=3,
        **timed(TIJUANA, 2030, 6, 4),
    )
    db.session.commit()
    cal = fetch(client, f"/events/{event.slug}.ics")
    [vevent] = cal.walk("VEVENT")
    event_url = f"http://127.0.0.1/events/{event.slug}"
    assert str(vevent["UID"]) == event.uid
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["SUMMARY"]) == "Border Side Chat"
    assert str(vevent["LOCATION"]) == (
        "Tijuana Trade Center, Blvd. Agua Caliente 10, Tijuana, BC, México"
    )
    assert str(vevent["DESCRIPTION"]) == f"Nearshoring and the border.\n\n{event_url}"
    assert str(vevent["URL"]) == event_url
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["TRANSP"] == "OPAQUE"
    assert vevent["CATEGORIES"].cats == ["Stakeholder meeting"]
    assert str(vevent["ORGANIZER"]) == "mailto:events@convoca.invalid"
    assert vevent["ORGANIZER"].params["CN"] == "Smart Border Coalition"
    assert vevent.decoded("LAST-MODIFIED") == event.updated_at.replace(microsecond=0)
    assert vevent["DTSTART"].params["TZID"] == TIJUANA
    assert vevent.decoded("DTSTART") == datetime(2030, 6, 4, 16, tzinfo=UTC)
    assert vevent.decoded("DTEND") == datetime(2030, 6, 4, 18, tzinfo=UTC)


def test_local_times_land_on_the_right_instants_across_dst_changes(
    client, make_event, keep_everything
):
    expected = {
        # Tijuana and San Diego: PST (UTC-8) until 14 March 2027, PDT (UTC-7) after.
        make_event(**timed(TIJUANA, 2027, 3, 1)).uid: datetime(2027, 3, 1, 17, tzinfo=UTC),
        make_event(**timed(TIJUANA, 2027, 3, 25)).uid: datetime(2027, 3, 25, 16, tzinfo=UTC),
        make_event(**timed(TIJUANA, 2027, 11, 10)).uid: datetime(2027, 11, 10, 17, tzinfo=UTC),
        make_event(**timed(LOS_ANGELES, 2027, 3, 13)).uid: datetime(2027, 3, 13, 17, tzinfo=UTC),
        make_event(**timed(LOS_ANGELES, 2027, 3, 15)).uid: datetime(2027, 3, 15, 16, tzinfo=UTC),
        # Mexico City: UTC-6 all year since 2022.
        make_event(**timed(MEXICO_CITY, 2027, 1, 20)).uid: datetime(2027, 1, 20, 15, tzinfo=UTC),
        make_event(**timed(MEXICO_CITY, 2027, 7, 20)).uid: datetime(2027, 7, 20, 15, tzinfo=UTC),
    }
    data = client.get("/calendar.ics").data
    cal = parse(data)
    for uid, vevent in by_uid(cal).items():
        assert vevent.decoded("DTSTART") == expected[uid]
        assert vevent.decoded("DTEND") == expected[uid] + timedelta(hours=2)

    # The same feed with unknown zone names: only the VTIMEZONEs can tell the offsets now.
    renamed = data.decode()
    for zone in (TIJUANA, LOS_ANGELES, MEXICO_CITY):
        renamed = renamed.replace(zone, f"Convoca Test {uuid.uuid4().hex}")
    assert "America/" not in renamed
    ours = by_uid(icalendar.Calendar.from_ical(renamed))
    theirs = {e.uid.value: e for e in vobject.readOne(renamed).vevent_list}
    timezones = {str(tz["TZID"]): tz for tz in icalendar.Calendar.from_ical(renamed).timezones}
    for uid, instant in expected.items():
        assert ours[uid].decoded("DTSTART") == instant
        assert theirs[uid].dtstart.value == instant
        assert theirs[uid].dtend.value == instant + timedelta(hours=2)
        start = ours[uid]["DTSTART"]
        offset = vtimezone_offset(timezones[start.params["TZID"]], start.dt)
        assert start.dt.replace(tzinfo=None) - offset == instant.replace(tzinfo=None)


def test_mexico_city_has_no_daylight_saving_in_its_vtimezone(client, make_event, keep_everything):
    make_event(**timed(MEXICO_CITY, 2027, 7, 20))
    [vtimezone] = fetch(client, "/calendar.ics").walk("VTIMEZONE")
    assert {o.name for o in vtimezone.subcomponents} == {"STANDARD"}
    assert {o.decoded("TZOFFSETTO") for o in vtimezone.subcomponents} == {timedelta(hours=-6)}


# --- Who sees what -----------------------------------------------------------------------------


def test_drafts_and_invite_only_events_never_reach_public_feeds(client, make_event):
    public = {
        kind: make_event(kind=kind) for kind in EventKind
    }  # one of each kind, so every feed has something
    hidden = [make_event(kind=kind, status=EventStatus.DRAFT) for kind in EventKind] + [
        make_event(kind=kind, visibility=Visibility.INVITE_ONLY) for kind in EventKind
    ]
    hidden.append(make_event(status=EventStatus.CANCELLED, visibility=Visibility.INVITE_ONLY))
    for url in PUBLIC_FEEDS:
        for lang in ("", "?lang=es"):
            found = uids(fetch(client, url + lang))
            assert found
            assert not found & {e.uid for e in hidden}
    assert uids(fetch(client, "/calendar/visit.ics")) == {public[EventKind.VISIT].uid}
    for event in hidden:
        assert client.get(f"/events/{event.slug}.ics").status_code == 404
    assert client.get("/events/no-such-event.ics").status_code == 404


def test_unknown_kind_is_not_found(client):
    assert client.get("/calendar/picnic.ics").status_code == 404


def test_public_feed_keeps_recent_past_events_only(app, client, make_event):
    upcoming = make_event(days=5)
    recent = make_event(days=-30)
    old = make_event(days=-120)
    assert uids(fetch(client, "/calendar.ics")) == {upcoming.uid, recent.uid}
    assert client.get(f"/events/{old.slug}.ics").status_code == 200  # its page still exists
    app.config["FEED_PAST_DAYS"] = 10
    assert uids(fetch(client, "/calendar.ics")) == {upcoming.uid}


def test_cancelled_events_stay_in_feeds_marked_cancelled(client, make_event):
    event = make_event(title_en="Board Meeting")
    event.status = EventStatus.CANCELLED
    event.sequence += 1
    db.session.commit()
    for url in ("/calendar.ics", f"/events/{event.slug}.ics"):
        [vevent] = fetch(client, url).walk("VEVENT")
        assert vevent["STATUS"] == "CANCELLED"
        assert vevent["SEQUENCE"] == 1
        assert vevent["TRANSP"] == "TRANSPARENT"
        assert str(vevent["SUMMARY"]) == "Cancelled: Board Meeting"
    other = vobject.readOne(client.get("/calendar.ics").text)
    assert other.vevent.status.value == "CANCELLED"


# --- Text and language -------------------------------------------------------------------------


def test_non_ascii_and_special_characters_round_trip(client, make_event, make_venue):
    title = "Reunión en Tijuana — año 2027; agenda, café & más"
    description = (
        "Línea uno: señalética, aduana; «cruce» rápido.\n"
        "Back\\slash, comma; semicolon.\n\n" + "Párrafo largo con acentos áéíóú ñ — " * 6
    )
    venue = make_venue(name="Centro Cultural Tijuana (CECUT)", address="Paseo de los Héroes 9350")
    event = make_event(title_en=title, description_en=description, venue=venue)
    data = client.get(f"/events/{event.slug}.ics").data
    assert "Reunión".encode() in data  # UTF-8 on the wire, not escaped away
    [vevent] = parse(data).walk("VEVENT")
    other = vobject.readOne(data.decode()).vevent
    expected_description = f"{description.strip()}\n\nhttp://127.0.0.1/events/{event.slug}"
    for summary, text, location in [
        (str(vevent["SUMMARY"]), str(vevent["DESCRIPTION"]), str(vevent["LOCATION"])),
        (other.summary.value, other.description.value, other.location.value),
    ]:
        assert summary == title
        assert text == expected_description
        assert location.startswith("Centro Cultural Tijuana (CECUT), Paseo de los Héroes 9350")


def test_lang_es_gives_spanish_text_falling_back_to_english(client, make_event, keep_everything):
    both = make_event(
        title_en="Board Meeting",
        title_es="Reunión del Consejo",
        description_en="Quarterly review.",
        description_es="Revisión trimestral.",
    )
    english_only = make_event(title_en="Site visit", description_en="Bring ID.")
    title_only = make_event(title_en="Forum", title_es="Foro", description_en="In English.")

    spanish = by_uid(fetch(client, "/calendar.ics?lang=es"))
    assert str(spanish[both.uid]["SUMMARY"]) == "Reunión del Consejo"
    assert str(spanish[both.uid]["DESCRIPTION"]).startswith("Revisión trimestral.")
    assert str(spanish[both.uid]["URL"]).endswith(f"/events/{both.slug}?lang=es")
    assert str(spanish[english_only.uid]["SUMMARY"]) == "Site visit"
    assert str(spanish[title_only.uid]["SUMMARY"]) == "Foro"
    assert str(spanish[title_only.uid]["DESCRIPTION"]).startswith("In English.")

    # Without ?lang= a feed is English, whatever the cookie or the client's languages say.
    client.set_cookie("lang", "es")
    english = by_uid(fetch(client, "/calendar.ics", **{"Accept-Language": "es-MX,es"}))
    assert str(english[both.uid]["SUMMARY"]) == "Board Meeting"
    assert str(english[both.uid]["URL"]).endswith(f"/events/{both.slug}")
    assert str(by_uid(fetch(client, "/calendar.ics?lang=fr"))[both.uid]["SUMMARY"]) == (
        "Board Meeting"
    )


def test_a_visit_lists_its_itinerary(client, make_event, make_venue, keep_everything):
    itj = make_venue(name="ITJ", address="Calzada del Tecnológico S/N")
    port = make_venue(
        name="San Ysidro Port of Entry",
        address="720 E San Ysidro Blvd",
        city="San Diego",
        region="CA",
        country="US",
    )
    event = make_event(kind=EventKind.VISIT, venue=None, **timed(TIJUANA, 2027, 3, 25, 8, 6))
    event.stops = [
        ItineraryStop(
            position=0,
            title_en="Campus tour",
            title_es="Recorrido del campus",
            starts_at=local(TIJUANA, 2027, 3, 25, 8),
            ends_at=local(TIJUANA, 2027, 3, 25, 10),
            timezone=TIJUANA,
            venue=itj,
        ),
        ItineraryStop(
            position=1,
            title_en="Port of entry briefing",
            starts_at=local(LOS_ANGELES, 2027, 3, 25, 12),
            timezone=LOS_ANGELES,
            venue=port,
        ),
    ]
    db.session.commit()
    # One entry per stop (tests/test_visit_calendar.py has the rest), each listing them all.
    tour, briefing = fetch(client, "/calendar/visit.ics").walk("VEVENT")
    assert str(tour["LOCATION"]).startswith("ITJ, Calzada del Tecnológico S/N")
    assert str(briefing["LOCATION"]).startswith("San Ysidro Port of Entry, 720 E San Ysidro")
    for vevent in (tour, briefing):
        assert vevent["CATEGORIES"].cats == ["Visit"]
        lines = str(vevent["DESCRIPTION"]).split("\n")
        assert (
            "• Thu Mar 25, 8:00–10:00 AM PDT — Campus tour (ITJ, Calzada del Tecnológico S/N, "
            "Tijuana, BC, México)" in lines
        )
        assert (
            "• Thu Mar 25, 12:00 PM PDT — Port of entry briefing (San Ysidro Port of Entry, "
            "720 E San Ysidro Blvd, San Diego, CA, USA)" in lines
        )
    spanish, _briefing = fetch(client, "/calendar/visit.ics?lang=es").walk("VEVENT")
    assert str(spanish["SUMMARY"]).endswith(": Recorrido del campus")
    assert "Recorrido del campus" in str(spanish["DESCRIPTION"])


# --- Single-event files ------------------------------------------------------------------------


def test_event_file_is_one_event_to_import_with_the_feed_uid(client, make_event):
    event = make_event()
    make_event()
    response = client.get(f"/events/{event.slug}.ics")
    assert response.headers["Content-Disposition"] == f"attachment; filename={event.slug}.ics"
    cal = parse(response.data)
    assert [str(v["UID"]) for v in cal.walk("VEVENT")] == [event.uid]
    # A lone event is imported into a calendar the reader picks: no name, no refresh.
    assert "X-WR-CALNAME" not in cal and "REFRESH-INTERVAL" not in cal
    assert event.uid in uids(fetch(client, "/calendar.ics"))


def test_emailed_invitations_use_the_feed_uid(client, make_event, answer_rsvp):
    event = make_event(capacity=5, title_en="Reunión en Tijuana — año")
    rsvp = answer_rsvp(event, email="ana@example.com", language="es")
    services.cancel_rsvp(rsvp, datetime.now(UTC))
    db.session.commit()
    request, cancel = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.ics.is_not(None)).order_by(OutboxMessage.id)
    ).all()
    feed_uid = str(fetch(client, "/calendar.ics").walk("VEVENT")[0]["UID"])
    for message, method in ((request, "REQUEST"), (cancel, "CANCEL")):
        [vevent] = parse(message.ics.encode(), method).walk("VEVENT")
        assert str(vevent["UID"]) == feed_uid == event.uid
        assert str(vevent["SUMMARY"]) == "Reunión en Tijuana — año"
        assert str(vevent["ATTENDEE"]) == "mailto:ana@example.com"
    assert str(parse(cancel.ics.encode(), "CANCEL").walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


# --- The personal feed -------------------------------------------------------------------------


def test_personal_feed_holds_exactly_the_attendees_events(client, make_event, answer_rsvp):
    confirmed = make_event()
    waitlisted = make_event(capacity=1)
    answer_rsvp(waitlisted, email="someone@example.com")
    declined = make_event()
    cancelled = make_event()
    invite_only = make_event(visibility=Visibility.INVITE_ONLY)
    other_case = make_event()
    unpublished = make_event()
    someone_elses = make_event()

    rsvp = answer_rsvp(confirmed, email="ana@example.com")
    assert answer_rsvp(waitlisted, email="ana@example.com").status is RsvpStatus.WAITLISTED
    answer_rsvp(declined, email="ana@example.com", attending=False)
    services.cancel_rsvp(answer_rsvp(cancelled, email="ana@example.com"), datetime.now(UTC))
    answer_rsvp(invite_only, email="ana@example.com")
    answer_rsvp(other_case, email="  ANA@Example.com ")
    answer_rsvp(unpublished, email="ana@example.com")
    unpublished.status = EventStatus.DRAFT
    answer_rsvp(someone_elses, email="bob@example.com")
    db.session.commit()

    response = client.get(f"/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics")
    cal = parse(response.data)
    assert uids(cal) == {confirmed.uid, waitlisted.uid, invite_only.uid, other_case.uid}
    assert str(cal["X-WR-CALNAME"]) == "Smart Border Coalition: My events"
    # The invite-only event has no public page: its link is a read-only page of Ana's RSVP.
    assert str(by_uid(cal)[confirmed.uid]["URL"]).endswith(f"/events/{confirmed.slug}")
    private_url = str(by_uid(cal)[invite_only.uid]["URL"])
    assert f"/events/{invite_only.slug}" not in private_url
    page = client.get(urlsplit(private_url).path)
    assert page.status_code == 200 and invite_only.title_en in page.text
    assert "Confirmed" in page.text and 'name="robots" content="noindex"' in page.text
    view_token = urlsplit(private_url).path.split("/")[2]
    assert client.get(f"/rsvp/{view_token}").status_code == 404  # it cannot change the answer
    assert (
        make_token(rsvp, Purpose.MANAGE) not in response.text
    )  # nor does the feed carry the manage link
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_personal_feed_follows_the_attendees_answers(client, make_event, answer_rsvp):
    staying, leaving = make_event(), make_event()
    rsvp = answer_rsvp(staying, email="ana@example.com")
    to_decline = answer_rsvp(leaving, email="ana@example.com")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for row in (staying, leaving, rsvp, to_decline):
        row.updated_at = an_hour_ago
    db.session.commit()
    url = f"/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics"
    first = client.get(url)
    assert uids(parse(first.data)) == {staying.uid, leaving.uid}

    services.change_answer(
        to_decline, datetime.now(UTC), attending=False, guests=0, language="en", needs=None
    )
    db.session.commit()
    # The events still in the feed did not change, the answer did: both validators see it.
    for validator in (
        {"If-None-Match": first.headers["ETag"]},
        {"If-Modified-Since": first.headers["Last-Modified"]},
    ):
        again = client.get(url, headers=validator)
        assert again.status_code == 200, validator
        assert uids(parse(again.data)) == {staying.uid}


def test_personal_feed_needs_its_own_valid_token(client, make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event(), email="ana@example.com")
    token = make_token(rsvp, Purpose.FEED)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (make_token(rsvp, Purpose.MANAGE), tampered, "1.abc", "nothing"):
        assert client.get(f"/calendar/me/{bad}.ics").status_code == 404
    assert client.get(f"/calendar/me/{token}.ics").status_code == 200


# --- HTTP caching ------------------------------------------------------------------------------


def test_unchanged_feed_answers_304_to_either_validator(client, make_event):
    event = make_event()
    first = client.get("/calendar.ics")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] in ("no-cache, public", "public, no-cache")

    with counting_queries() as statements:
        by_etag = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    assert len(statements) == 1  # the aggregate only: no events loaded, no calendar built

    by_date = client.get("/calendar.ics", headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304
    # A different language is a different representation.
    assert client.get("/calendar.ics?lang=es", headers={"If-None-Match": etag}).status_code == 200

    event.title_en = "New title"
    event.updated_at = datetime.now(UTC) + timedelta(seconds=2)
    db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert (
        client.get("/calendar.ics", headers={"If-Modified-Since": last_modified}).status_code == 200
    )


def test_event_leaving_the_feed_changes_its_etag(app, client, make_event):
    make_event(days=5)
    make_event(days=-30)
    etag = client.get("/calendar.ics").headers["ETag"]
    app.config["FEED_PAST_DAYS"] = 10  # as if time passed: the older event ages out
    response = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_event_file_answers_304_too(client, make_event):
    event = make_event()
    first = client.get(f"/events/{event.slug}.ics")
    again = client.get(
        f"/events/{event.slug}.ics",
        headers={"If-Modified-Since": http_date(event.updated_at + timedelta(seconds=1))},
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]


def test_feed_query_count_does_not_grow_with_events(client, make_event, make_venue):
    def add_visit():
        event = make_event(kind=EventKind.VISIT)
        event.stops = [
            ItineraryStop(
                position=i,
                title_en=f"Stop {i}",
                starts_at=event.starts_at + timedelta(minutes=30 * i),
                timezone=event.timezone,
                venue=make_venue(),
            )
            for i in range(2)
        ]
        db.session.commit()

    add_visit()
    with counting_queries() as few:
        client.get("/calendar.ics")
    for _ in range(6):
        add_visit()
        make_event(zone=MEXICO_CITY)
    with counting_queries() as many:
        cal = fetch(client, "/calendar.ics")
    assert len(cal.walk("VEVENT")) == 7 * 2 + 6  # a visit's stops are an entry each
    assert len(many) == len(few)


# --- Pages -------------------------------------------------------------------------------------


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_subscribe_page_offers_each_feed_three_ways(client, make_event):
    make_event()
    home = client.get("/").text
    assert "/subscribe" in hrefs(home)

    page = client.get("/subscribe").text
    links = hrefs(page)
    for path in PUBLIC_FEEDS:
        https = f"http://127.0.0.1{path}"
        webcal = f"webcal://127.0.0.1{path}"
        assert webcal in links
        assert re.search(rf'<input[^>]+value="{re.escape(https)}"[^>]*readonly', page)
        google = [h for h in links if h.startswith("https://calendar.google.com/calendar/r?")]
        assert webcal in [parse_qs(urlsplit(h).query)["cid"][0] for h in google]
        assert client.get(path).status_code == 200
    # Only self-hosted scripts (the copy button's, the second clock's): the page works without.
    scripts = re.findall(r"<script[^>]*>", page)
    assert '<script src="/static/js/copy.js" defer>' in scripts
    assert all(re.match(r'<script src="/static/js/[\w-]+\.js" defer', tag) for tag in scripts)


def test_subscribe_page_in_spanish_offers_spanish_feeds(client):
    links = hrefs(client.get("/subscribe?lang=es").text)
    assert "webcal://127.0.0.1/calendar.ics?lang=es" in links


def test_event_page_offers_download_and_google_link(client, make_event):
    event = make_event(
        title_en="Board Meeting", description_en="Quarterly.", **timed(TIJUANA, 2030, 3, 1)
    )
    links = hrefs(client.get(f"/events/{event.slug}").text)
    assert f"/events/{event.slug}.ics" in links
    [google] = [h for h in links if h.startswith("https://calendar.google.com/calendar/render?")]
    query = parse_qs(urlsplit(google).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Board Meeting"]
    assert query["dates"] == ["20300301T170000Z/20300301T190000Z"]
    assert query["details"] == [f"Quarterly.\n\nhttp://127.0.0.1/events/{event.slug}"]
    assert query["location"][0].startswith(event.venue.name)
    assert query["ctz"] == [TIJUANA]

    spanish = hrefs(client.get(f"/events/{event.slug}?lang=es").text)
    assert f"/events/{event.slug}.ics?lang=es" in spanish


def test_google_link_keeps_long_descriptions_short(client, make_event):
    event = make_event(description_en="Long agenda. " * 300)
    links = hrefs(client.get(f"/events/{event.slug}").text)
    [google] = [h for h in links if h.startswith("https://calendar.google.com/calendar/render?")]
    details = parse_qs(urlsplit(google).query)["details"][0]
    assert len(details) <= 1000
    assert details.endswith(f"…\n\nhttp://127.0.0.1/events/{event.slug}")


def test_cancelled_event_page_offers_no_add_to_calendar(client, make_event):
    event = make_event(status=EventStatus.CANCELLED)
    links = hrefs(client.get(f"/events/{event.slug}").text)
    assert f"/events/{event.slug}.ics" not in links


def test_manage_page_offers_the_personal_feed(client, make_event, answer_rsvp):
    event = make_event()
    rsvp = answer_rsvp(event, email="ana@example.com", language="es")
    page = client.get(f"/rsvp/{make_token(rsvp, Purpose.MANAGE)}").text
    feed_path = f"/calendar/me/{make_token(rsvp, Purpose.FEED)}.ics?lang=es"
    assert f"webcal://127.0.0.1{feed_path}" in hrefs(page)
    assert f'value="http://127.0.0.1{feed_path}" readonly' in unescape(page)
    assert uids(fetch(client, feed_path)) == {event.uid}


def test_an_event_without_a_place_has_no_location(client, make_event):
    event = make_event(venue=None)
    [vevent] = fetch(client, f"/events/{event.slug}.ics").walk("VEVENT")
    assert "LOCATION" not in vevent


def test_invitations_are_only_requests_or_cancellations(make_event, answer_rsvp):
    rsvp = answer_rsvp(make_event())
    with pytest.raises(ValueError, match="PUBLISH"):
        calendar_invite(rsvp.event, rsvp, "PUBLISH", datetime.now(UTC))

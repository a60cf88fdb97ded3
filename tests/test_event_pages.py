"""The public event pages: the listing, past events, one event, languages, and query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import flask_babel
import pytest

from app.events.models import EventKind, EventStatus, ItineraryStop, Visibility
from app.extensions import db
from tests.conftest import counting_queries

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def short_day(moment: datetime, zone: str) -> str:
    """ "Thu Aug 13": the day as the listing writes it, in the given zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{WEEKDAYS[local.weekday()]} {MONTHS[local.month - 1]} {local.day}"


def abbreviation(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).tzname()


def positions(html: str, *needles: str) -> list[int]:
    """Where each needle first appears; fails clearly if one is missing."""
    found = []
    for needle in needles:
        assert needle in html, f"{needle!r} not in page"
        found.append(html.index(needle))
    return found


def titles_in_list(html: str) -> list[str]:
    """Titles of the event cards, in page order."""
    return re.findall(r'<h2><a href="/events/[^"]+">([^<]+)</a></h2>', html)


def choose_locale_afresh() -> None:
    """Let the next request choose its language again.

    The `app` fixture keeps one app context pushed for the whole test and test requests reuse it,
    so Flask-Babel's locale, cached in `g`, would carry over to the next request. A real server
    gives every request a new app context, hence a new `g`.
    """
    flask_babel.refresh()


def queries_to_render(client, url: str) -> int:
    # A fresh session, as a real request gets: nothing already in the identity map.
    db.session.remove()
    with counting_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


# --- The upcoming list --------------------------------------------------------------------------


def test_index_lists_upcoming_events_soonest_first(client, make_event):
    make_event(days=20, title_en="Third")
    make_event(days=5, title_en="First")
    make_event(days=12, title_en="Second")
    make_event(days=-3, title_en="Already over")

    response = client.get("/")

    assert response.status_code == 200
    assert titles_in_list(response.text) == ["First", "Second", "Third"]


def test_event_in_progress_is_still_upcoming_and_not_past(client, make_event):
    now = datetime.now(UTC)
    make_event(
        title_en="Under way", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    make_event(days=3, title_en="Later")

    assert titles_in_list(client.get("/").text) == ["Under way", "Later"]
    assert "Under way" not in client.get("/past").text


def test_index_shows_kind_local_time_with_zone_abbreviation_place_and_host(
    client, make_event, make_venue, make_organization
):
    itj = make_organization("Instituto Tecnológico de Tijuana", "ITJ")
    venue = make_venue(
        name="Instituto Tecnológico de Tijuana", city="Tijuana", region="BC", country="MX"
    )
    event = make_event(
        days=10, hours=(9, 11), zone="America/Tijuana", venue=venue, hosts=[itj], title_en="WG"
    )

    html = client.get("/").text

    zone = abbreviation(event.starts_at, "America/Tijuana")
    assert zone in {"PST", "PDT"}
    assert f"{short_day(event.starts_at, 'America/Tijuana')}, 9:00–11:00 AM {zone}" in html
    assert "Stakeholder meeting" in html
    assert "Instituto Tecnológico de Tijuana, Tijuana, BC, México" in html
    assert "Hosted by ITJ" in html


def test_index_shows_each_event_in_its_own_zone(client, make_event):
    make_event(days=10, hours=(9, 11), zone="America/Mexico_City", title_en="In CDMX")
    make_event(days=11, hours=(12, 14), zone="America/Tijuana", title_en="In Tijuana")

    html = client.get("/").text

    # Mexico City has had no DST since 2022: CST all year round.
    assert "9:00–11:00 AM CST" in html
    assert re.search(r"12:00–2:00 PM P[SD]T", html)


def test_host_without_short_name_is_shown_by_full_name(client, make_event, make_organization):
    make_event(hosts=[make_organization("Smart Border Coalition")])

    assert "Hosted by Smart Border Coalition" in client.get("/").text


def test_text_from_the_database_is_html_escaped_once(client, make_event, make_organization):
    make_event(title_en="<script>alert(1)</script>", hosts=[make_organization("Tacos & Co")])

    html = client.get("/").text

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hosted by Tacos &amp; Co" in html


def test_kind_filter_lists_only_that_kind(client, make_event):
    make_event(kind=EventKind.BOARD_MEETING, title_en="Board")
    make_event(kind=EventKind.VISIT, title_en="Visit")
    make_event(kind=EventKind.STAKEHOLDER_MEETING, title_en="Working group")

    assert titles_in_list(client.get("/?kind=board_meeting").text) == ["Board"]
    assert titles_in_list(client.get("/?kind=visit").text) == ["Visit"]
    assert len(titles_in_list(client.get("/").text)) == 3


@pytest.mark.parametrize("url", ["/?kind=party", "/past?kind=party", "/?kind=BOARD_MEETING"])
def test_unknown_kind_is_400_with_a_clear_message(client, make_event, url):
    make_event()

    response = client.get(url)

    assert response.status_code == 400
    assert "Unknown kind of event" in response.text
    assert "<html" in response.text  # the site's error page, not a bare Werkzeug one


def test_listing_pages_and_keeps_the_kind_filter(client, make_event):
    for day in range(1, 28):
        make_event(days=day, kind=EventKind.VISIT, title_en=f"Visit {day:02}")

    first = client.get("/?kind=visit")
    second = client.get("/?kind=visit&page=2")

    assert len(titles_in_list(first.text)) == 25
    assert 'rel="next"' in first.text
    next_link = re.search(r'rel="next" href="([^"]+)"', first.text).group(1)
    assert parse_qs(urlsplit(next_link.replace("&amp;", "&")).query) == {
        "page": ["2"],
        "kind": ["visit"],
    }
    assert titles_in_list(second.text) == ["Visit 26", "Visit 27"]


# --- Past events ---------------------------------------------------------------------------------


def test_past_lists_ended_events_most_recent_first(client, make_event):
    make_event(days=-30, title_en="Month ago")
    make_event(days=-3, title_en="Days ago")
    make_event(days=-10, title_en="Weeks ago")
    make_event(days=4, title_en="Upcoming")

    response = client.get("/past")

    assert response.status_code == 200
    assert titles_in_list(response.text) == ["Days ago", "Weeks ago", "Month ago"]


def test_past_filters_by_kind(client, make_event):
    make_event(days=-3, kind=EventKind.VISIT, title_en="Past visit")
    make_event(days=-4, title_en="Past meeting")

    assert titles_in_list(client.get("/past?kind=visit").text) == ["Past visit"]


def test_past_event_shows_its_year(client, make_event):
    event = make_event(days=-20, zone="America/Tijuana")

    year = event.starts_at.astimezone(ZoneInfo("America/Tijuana")).year
    assert f"{short_day(event.starts_at, 'America/Tijuana')}, {year}," in client.get("/past").text


# --- Who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"visibility": Visibility.INVITE_ONLY},
        {"visibility": Visibility.INVITE_ONLY, "kind": EventKind.BOARD_MEETING},
        {"status": EventStatus.DRAFT},
        {"status": EventStatus.CANCELLED, "visibility": Visibility.INVITE_ONLY},
    ],
    ids=["invite-only", "invite-only-board", "draft", "cancelled-invite-only"],
)
def test_hidden_events_are_not_listed_and_are_404_by_slug(client, make_event, fields):
    upcoming = make_event(days=5, title_en="Secret upcoming", **fields)
    ended = make_event(days=-5, title_en="Secret past", **fields)
    make_event(days=6, title_en="Open meeting")
    make_event(days=-6, title_en="Open past meeting")

    assert titles_in_list(client.get("/").text) == ["Open meeting"]
    assert titles_in_list(client.get("/?kind=board_meeting").text) == []
    assert titles_in_list(client.get("/past").text) == ["Open past meeting"]
    for event in (upcoming, ended):
        response = client.get(f"/events/{event.slug}")
        assert response.status_code == 404
        assert "Secret" not in response.text


def test_cancelled_event_is_listed_with_a_marker(client, make_event):
    make_event(days=5, title_en="Called off", status=EventStatus.CANCELLED)
    make_event(days=6, title_en="Still on")

    html = client.get("/").text

    assert titles_in_list(html) == ["Called off", "Still on"]
    cards = html.split('<li class="event-card')[1:]
    assert "Cancelled" in cards[0]
    assert "Cancelled" not in cards[1]


def test_cancelled_event_page_says_so_plainly(client, make_event):
    cancelled = make_event(status=EventStatus.CANCELLED)
    published = make_event()

    assert "This event has been cancelled." in client.get(f"/events/{cancelled.slug}").text
    assert "This event has been cancelled." not in client.get(f"/events/{published.slug}").text


# --- One event -----------------------------------------------------------------------------------


def test_event_page_shows_title_description_venue_map_hosts_and_partners(
    client, make_event, make_venue, make_organization
):
    venue = make_venue(
        name="U.S. Consulate General Tijuana",
        address="Paseo de las Culturas 7, Mesa de Otay",
        city="Tijuana",
        region="BC",
        country="MX",
    )
    event = make_event(
        title_en="Working Group",
        description_en="First paragraph.\n\nSecond paragraph.",
        venue=venue,
        hosts=[make_organization("Instituto Tecnológico de Tijuana", "ITJ")],
        partners=[
            make_organization("San Diego Regional Chamber of Commerce", "SDRCC"),
            make_organization("Smart Border Coalition"),
        ],
    )

    response = client.get(f"/events/{event.slug}")

    html = response.text
    assert response.status_code == 200
    assert "<h1>Working Group</h1>" in html
    assert "Stakeholder meeting" in html
    assert "<p>First paragraph.</p><p>Second paragraph.</p>" in html
    assert "U.S. Consulate General Tijuana" in html
    assert "Paseo de las Culturas 7, Mesa de Otay" in html
    assert "Tijuana, BC, México" in html
    map_link = re.search(r'href="(https://www\.openstreetmap\.org/search\?[^"]+)"', html)
    assert map_link, "no map link"
    query = parse_qs(urlsplit(map_link.group(1).replace("&amp;", "&")).query)["query"]
    assert query == [
        "U.S. Consulate General Tijuana, Paseo de las Culturas 7, Mesa de Otay, Tijuana, BC, México"
    ]
    hosted, partners = positions(html, "Hosted by", "Partners")
    assert "ITJ" in html[hosted:partners]
    assert "SDRCC, Smart Border Coalition" in html[partners:]


def test_event_page_shows_long_date_and_time_in_the_event_zone(client, make_event):
    event = make_event(days=10, hours=(12, 14), zone="America/Tijuana")

    html = client.get(f"/events/{event.slug}").text

    local = event.starts_at.astimezone(ZoneInfo("America/Tijuana"))
    day = short_day(event.starts_at, "America/Tijuana")
    assert f"{day}, {local.year}, 12:00–2:00 PM {local.tzname()}" in html
    weekday, month = WEEKDAY_NAMES[local.weekday()], MONTH_NAMES[local.month - 1]
    assert f"{weekday}, {month} {local.day}, {local.year}" in html  # the long date
    assert "America/Tijuana" in html


def test_visit_page_shows_itinerary_stops_with_their_own_time_and_place(
    client, make_event, make_venue
):
    event = make_event(days=10, hours=(8, 18), zone="America/Tijuana", kind=EventKind.VISIT)
    day = event.starts_at.astimezone(ZoneInfo("America/Tijuana")).date()
    chamber = make_venue(
        name="San Diego Regional Chamber", city="San Diego", region="CA", country="US"
    )
    trade_center = make_venue(
        name="Tijuana Trade Center", city="Tijuana", region="BC", country="MX"
    )
    sre = make_venue(name="SRE", city="Ciudad de México", region="CDMX", country="MX")

    def at(hour: int, minute: int, zone: str) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))

    # Added out of order: the page follows `position`, not insertion order.
    event.stops = [
        ItineraryStop(
            position=2,
            title_en="Call with Mexico City",
            timezone="America/Mexico_City",
            starts_at=at(17, 0, "America/Mexico_City"),
            ends_at=None,
            venue=sre,
        ),
        ItineraryStop(
            position=0,
            title_en="Border Side Chat",
            timezone="America/Los_Angeles",
            starts_at=at(10, 0, "America/Los_Angeles"),
            ends_at=at(11, 30, "America/Los_Angeles"),
            venue=chamber,
        ),
        ItineraryStop(
            position=1,
            title_en="Keynote",
            timezone="America/Tijuana",
            starts_at=at(14, 0, "America/Tijuana"),
            ends_at=at(16, 0, "America/Tijuana"),
            venue=trade_center,
        ),
    ]
    db.session.commit()

    html = client.get(f"/events/{event.slug}").text

    pacific = abbreviation(event.starts_at, "America/Tijuana")
    weekday = short_day(event.starts_at, "America/Tijuana")
    first, second, third = positions(html, "Border Side Chat", "Keynote", "Call with Mexico City")
    assert first < second < third
    assert f"{weekday}, 10:00–11:30 AM {pacific}" in html[first:second]
    assert "San Diego Regional Chamber, San Diego, CA, USA" in html[first:second]
    assert f"{weekday}, 2:00–4:00 PM {pacific}" in html[second:third]
    assert "Tijuana Trade Center, Tijuana, BC, México" in html[second:third]
    assert f"{weekday}, 5:00 PM CST" in html[third:]
    assert "SRE, Ciudad de México, CDMX, México" in html[third:]


def test_event_without_stops_has_no_itinerary(client, make_event):
    event = make_event()

    assert "Itinerary" not in client.get(f"/events/{event.slug}").text


def test_multi_day_event_shows_both_days(client, make_event):
    zone = "America/Mexico_City"
    first = make_event(days=30, hours=(9, 14), zone=zone, title_en="Plenary")
    ends = first.ends_at + timedelta(days=1)
    first.ends_at = ends
    db.session.commit()

    expected = (
        f"{short_day(first.starts_at, zone)}, 9:00 AM CST – {short_day(ends, zone)}, 2:00 PM CST"
    )
    assert expected in client.get("/").text
    local_start, local_end = (
        first.starts_at.astimezone(ZoneInfo(zone)),
        ends.astimezone(ZoneInfo(zone)),
    )
    page = client.get(f"/events/{first.slug}").text
    assert (
        f"{short_day(first.starts_at, zone)}, {local_start.year}, 9:00 AM CST – "
        f"{short_day(ends, zone)}, {local_end.year}, 2:00 PM CST"
    ) in page


def test_missing_slug_gives_the_friendly_404_page(client):
    response = client.get("/events/no-such-event")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/"' in response.text  # a way back to the upcoming events


# --- Languages -----------------------------------------------------------------------------------


def test_spanish_by_query_parameter_shows_spanish_titles_with_english_fallback(client, make_event):
    make_event(days=3, title_en="Working Group", title_es="Grupo de Trabajo")
    make_event(days=4, title_en="Board Meeting", title_es=None)
    make_event(days=5, title_en="Plenary", title_es="")

    html = client.get("/?lang=es").text

    assert '<html lang="es">' in html
    assert titles_in_list(html) == ["Grupo de Trabajo", "Board Meeting", "Plenary"]
    whens = re.findall(r'<p class="when"><time [^>]+>([^<]+)</time></p>', html)
    assert len(whens) == 3
    assert all(re.search(r", 9:00–11:00 P[SD]T$", when) for when in whens)  # 24-hour clock


def test_spanish_event_page_uses_spanish_title_and_description(client, make_event):
    event = make_event(
        title_en="Working Group",
        title_es="Grupo de Trabajo",
        description_en="In English.",
        description_es="En español.",
    )

    html = client.get(f"/events/{event.slug}?lang=es").text

    assert '<html lang="es">' in html
    assert "<h1>Grupo de Trabajo</h1>" in html
    assert "En español." in html
    assert "In English." not in html


def test_language_switch_remembers_spanish_in_a_cookie(client, make_event):
    make_event(title_en="Working Group", title_es="Grupo de Trabajo")

    switch = client.get("/language/es?next=/")

    assert switch.status_code == 302
    assert switch.headers["Location"] == "/"
    assert client.get_cookie("lang").value == "es"
    html = client.get("/").text
    assert '<html lang="es">' in html
    assert titles_in_list(html) == ["Grupo de Trabajo"]
    # An explicit ?lang= still wins over the remembered choice.
    choose_locale_afresh()
    assert titles_in_list(client.get("/?lang=en").text) == ["Working Group"]


def test_browser_language_is_used_when_nothing_was_chosen(client, make_event):
    make_event(title_en="Working Group", title_es="Grupo de Trabajo")

    html = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}).text

    assert '<html lang="es">' in html
    choose_locale_afresh()
    assert '<html lang="en">' in client.get("/").text


def test_language_switch_keeps_a_local_path_and_query(client):
    response = client.get("/language/en", query_string={"next": "/past?kind=visit"})

    assert response.headers["Location"] == "/past?kind=visit"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        "/\\evil.example",  # browsers read a backslash as a slash
    ],
)
def test_language_switch_redirects_only_to_local_paths(client, target):
    response = client.get("/language/es", query_string={"next": target})

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/"


def test_unknown_language_is_404(client):
    assert client.get("/language/fr?next=/").status_code == 404
    assert client.get_cookie("lang") is None


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/past"])
def test_listing_query_count_does_not_grow_with_the_number_of_events(
    client, make_event, make_venue, make_organization, url
):
    sign = -1 if url == "/past" else 1

    def add(count: int, offset: int) -> None:
        for i in range(count):
            make_event(
                days=sign * (offset + i),
                venue=make_venue(),
                hosts=[make_organization(short_name=f"H{offset + i}")],
                partners=[make_organization()],
            )

    add(3, 1)
    few = queries_to_render(client, url)
    add(27, 10)
    many = queries_to_render(client, url)

    assert len(titles_in_list(client.get(url).text)) == 25  # a full page, so rendering did grow
    assert many == few


def test_event_page_query_count_does_not_grow_with_itinerary_stops(
    client, make_event, make_venue, make_organization
):
    def visit_with_stops(count: int):
        event = make_event(
            kind=EventKind.VISIT,
            hours=(8, 20),
            hosts=[make_organization()],
            partners=[make_organization(), make_organization()],
        )
        event.stops = [
            ItineraryStop(
                position=i,
                title_en=f"Stop {i}",
                timezone="America/Tijuana",
                starts_at=event.starts_at + timedelta(minutes=30 * i),
                ends_at=event.starts_at + timedelta(minutes=30 * i + 20),
                venue=make_venue(),
            )
            for i in range(count)
        ]
        db.session.commit()
        return event.slug

    one, eight = visit_with_stops(1), visit_with_stops(8)

    assert queries_to_render(client, f"/events/{one}") == queries_to_render(
        client, f"/events/{eight}"
    )


def test_an_event_can_show_both_languages_side_by_side(client, make_event):
    event = make_event(
        title_en="Board Meeting",
        title_es="Reunión del Consejo",
        description_en="Quarterly review.",
        description_es="Revisión trimestral.",
        show_both_languages=True,
    )
    for url in [f"/events/{event.slug}", f"/events/{event.slug}?lang=es"]:
        page = client.get(url).text
        assert '<span lang="en">Board Meeting</span>' in page
        assert '<span lang="es">Reunión del Consejo</span>' in page
        assert '<div lang="es"><p>Revisión trimestral.</p></div>' in page
        assert '<div lang="en"><p>Quarterly review.</p></div>' in page


def test_both_languages_needs_a_spanish_title(client, make_event):
    event = make_event(title_en="Board Meeting", show_both_languages=True)
    page = client.get(f"/events/{event.slug}?lang=es").text
    assert "<h1>Board Meeting</h1>" in page

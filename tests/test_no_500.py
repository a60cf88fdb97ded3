"""Inputs that used to crash a page (a 500) get a 4xx that says what was wrong, and a sweep of
every form and query parameter with random text finds no 5xx."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from urllib.parse import urlsplit

import html5lib
import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.models import User
from app.events.models import Event, EventKind, ItineraryStop
from app.extensions import db
from app.invitations.models import Invitation
from app.pagination import MAX_PAGE
from app.rsvps.models import Rsvp
from app.tokens import Purpose, make_token
from tests.event_forms import new_event_data, stop_data

HUGE = "9" * 30  # past any integer column, and past Python's conversion to SQLite's int64


def rsvp_data(**overrides) -> dict:
    return {
        "name": "Eve Example",
        "email": "eve@example.com",
        "organization": "ITJ",
        "response": "yes",
        "language": "en",
    } | overrides


# --- The language switch's `next` ------------------------------------------------------------


@pytest.mark.parametrize("target", ["/%0aX", "/%0d%0aSet-Cookie:%20x=1", "/a%09b", "/%7f"])
def test_language_switch_ignores_a_next_with_control_characters(client, target):
    response = client.get(f"/language/es?next={target}")
    assert response.status_code == 302
    assert response.location == "/"
    assert "lang=es" in response.headers["Set-Cookie"]


def test_language_switch_still_returns_to_an_ordinary_page(client):
    response = client.get("/language/es?next=/past%3Fkind%3Dvisit")
    assert response.location == "/past?kind=visit"


# --- Dates no calendar can hold --------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("starts_at", "9999-12-31T23:59"),
        ("ends_at", "9999-12-31T23:59"),
        ("starts_at", "0001-01-01T00:00"),
        ("rsvp_deadline", "9999-12-31T23:59"),
    ],
)
def test_an_event_date_outside_the_supported_years_is_refused_next_to_its_field(
    client, organizer, field, value
):
    response = client.post("/organizer/events/new", data=new_event_data(**{field: value}))
    assert response.status_code == 422
    assert "Please enter a date between the years 2000 and 2100." in response.text
    assert f'id="{field}"' in response.text


def test_an_itinerary_stop_in_year_9999_is_refused(client, organizer, make_event):
    event = make_event(kind=EventKind.VISIT)
    response = client.post(
        f"/organizer/events/{event.slug}/stops/new",
        data=stop_data(starts_at="9999-12-31T23:00", ends_at="9999-12-31T23:59"),
    )
    assert response.status_code == 422
    assert "Please enter a date between the years 2000 and 2100." in response.text


# --- Page numbers ----------------------------------------------------------------------------


def _paginated_urls(event) -> list[str]:
    return [
        "/",
        "/past",
        f"/organizer/events/{event.slug}/attendees",
        f"/organizer/events/{event.slug}/log",
    ]


@pytest.mark.parametrize("page", [HUGE, str(MAX_PAGE + 1), "0", "-1", "abc", "٣", "1e3"])
def test_a_page_number_out_of_range_is_a_400_on_every_paginated_list(
    client, organizer, make_event, page
):
    event = make_event()
    for url in _paginated_urls(event):
        response = client.get(url, query_string={"page": page})
        assert response.status_code == 400, url
        assert "Please ask for a page number from 1 to 10,000." in response.text, url


def test_the_last_allowed_page_is_an_empty_page_not_an_error(client, organizer, make_event):
    event = make_event()
    for url in _paginated_urls(event):
        assert client.get(url, query_string={"page": str(MAX_PAGE)}).status_code == 200, url
        assert client.get(url, query_string={"page": ""}).status_code == 200, url


# --- A file where text belongs ---------------------------------------------------------------


def test_a_file_sent_as_the_rsvp_name_is_refused(client, make_event):
    event = make_event(capacity=10)
    response = client.post(
        f"/events/{event.slug}/rsvp",
        data=rsvp_data(name=(BytesIO(b"Eve"), "name.txt")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "A file was sent where the form expects text." in response.text
    assert db.session.scalar(db.select(db.func.count(Rsvp.id))) == 0


def test_the_invitation_csv_file_field_still_takes_a_file(client, organizer, board_meeting):
    event = board_meeting()
    response = client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={
            "invitees": "",
            "language": "en",
            "csv_file": (BytesIO(b"Ana Lopez,ana@example.com\n"), "invitees.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    assert "A file was sent where the form expects text." not in response.text


def test_a_file_beside_the_csv_under_a_text_fields_name_is_refused(
    client, organizer, board_meeting
):
    event = board_meeting()
    response = client.post(
        f"/organizer/events/{event.slug}/invitations",
        data={"invitees": (BytesIO(b"x"), "x.txt"), "language": "en"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


# --- Searches too long to run ----------------------------------------------------------------

LONG_SEARCH = "a" * 70_000
SEARCH_MESSAGE = "Please search with at most 100 characters"


@pytest.mark.parametrize(
    "path", ["checkin", "attendees", "attendees.csv", "attendees.xlsx", "door-list"]
)
def test_a_70000_character_search_is_a_400_with_a_message(
    client, organizer, make_event, answer_rsvp, path
):
    event = make_event()
    answer_rsvp(event, name="Ana López")
    response = client.get(f"/organizer/events/{event.slug}/{path}", query_string={"q": LONG_SEARCH})
    assert response.status_code == 400
    assert SEARCH_MESSAGE in response.text


def test_a_walk_in_posted_with_a_70000_character_search_is_a_400(client, organizer, make_event):
    event = make_event()
    response = client.post(
        f"/organizer/events/{event.slug}/checkin/walk-in",
        data={"q": LONG_SEARCH, "name": "Walt Walker", "language": "en"},
    )
    assert response.status_code == 400
    assert SEARCH_MESSAGE in response.text
    assert db.session.scalar(db.select(db.func.count(Rsvp.id))) == 0


def test_a_search_of_100_characters_still_runs(client, organizer, make_event, answer_rsvp):
    event = make_event()
    answer_rsvp(event, name="Ana López")
    for path in ("checkin", "attendees"):
        url = f"/organizer/events/{event.slug}/{path}"
        assert client.get(url, query_string={"q": "x" * 100}).status_code == 200
        assert "Ana López" in client.get(url, query_string={"q": "ana"}).text


# --- The sweep: every route, every field, random text ----------------------------------------

# Characters people never type but requests can carry: every control character but NUL (which
# app/security.py turns away before any view), and those that mean something to LIKE or paths.
ODD_CHARACTERS = "".join(chr(c) for c in range(1, 32)) + "\x7f\u2028\u2029\u202e%_\\/.#?&="
TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=60,
)
VALUES = st.one_of(
    TEXT,
    st.text(alphabet=ODD_CHARACTERS + "a 1", max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "NaN",
            "inf",
            "y",
            "yes",
            "no",
            "on",
            "en",
            "es",
            "public",
            "invite_only",
            "confirmed",
            "host",
            "visit",
            "9999-12-31T23:59",
            "0001-01-01T00:00",
            "2027-03-14T02:30",
            "America/Tijuana",
            "/\\evil.example",
            "//evil.example",
        ]
    ),
    st.builds(
        lambda char, count: char * count,
        st.sampled_from(["a", "é", "ﷺ", "%", "a ", "\\", "9"]),
        st.integers(min_value=200, max_value=20_000),
    ),
)

# Read by views straight from the query string rather than through a rendered form.
QUERY_PARAMETERS = ("page", "q", "kind", "next", "lang", "audience", "status", "checked_in")
# Signing out mid-sweep would turn the organizer's remaining routes into sign-in redirects.
NOT_SWEPT = {"accounts.logout"}
# About 75 routes, two sweeps: each route gets a few random requests per run, different ones
# every run (and on each database), so the runs add up to a wide sweep.
EXAMPLES_PER_ROUTE = 6


@dataclass
class World:
    """One of everything a route's URL can name."""

    event: Event
    visit: Event
    private: Event
    stop: ItineraryStop
    rsvp: Rsvp
    invitation: Invitation
    other_user_id: int

    def url_values(self, rule) -> dict[str, object]:
        endpoint = rule.endpoint
        token_purpose = {
            "rsvps.manage": Purpose.MANAGE,
            "rsvps.cancel": Purpose.MANAGE,
            "rsvps.new_link": Purpose.MANAGE,
            "rsvps.correct_details": Purpose.MANAGE,
            "rsvps.personal_data": Purpose.MANAGE,
            "rsvps.delete_data": Purpose.MANAGE,
            "rsvps.event_page": Purpose.VIEW,
            "feeds.personal_feed": Purpose.FEED,
            "organizer.checkin.by_token": Purpose.CHECKIN,
            "organizer.checkin.check_in_by_token": Purpose.CHECKIN,
            "invitation_link.show": Purpose.INVITATION,
            "accounts.unlock": Purpose.ACCOUNT_UNLOCK,
        }.get(endpoint)
        if "stop" in endpoint:
            slug = self.visit.slug
        elif "invitations" in endpoint:
            slug = self.private.slug
        else:
            slug = self.event.slug
        candidates = {
            "slug": slug,
            "code": "es",
            "kind": "visit",
            "filename": "css/app.css",
            "rsvp_id": self.rsvp.id,
            "stop_id": self.stop.id,
            "invitation_id": self.invitation.id,
            "user_id": self.other_user_id,
            "message_id": 1,  # an inbound message that does not exist: a 404, never a 500
        }
        if token_purpose is not None:
            record = {
                Purpose.INVITATION: self.invitation,
                Purpose.ACCOUNT_UNLOCK: db.session.get(User, self.other_user_id),
            }.get(token_purpose, self.rsvp)
            candidates["token"] = make_token(record, token_purpose)
        return {name: candidates[name] for name in rule.arguments - set(rule.defaults or ())}


@pytest.fixture
def world(make_event, make_user, board_meeting, invite, answer_rsvp) -> World:
    event = make_event(capacity=5, guest_limit=2)
    visit = make_event(kind=EventKind.VISIT)
    stop = ItineraryStop(
        event=visit,
        position=1,
        title_en="Otay Mesa",
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        timezone=visit.timezone,
    )
    db.session.add(stop)
    private = board_meeting()
    [invitation] = invite(private, "Ines Invitee <ines@example.com>")
    rsvp = answer_rsvp(event, name="Ana López")
    other = make_user(name="Otto Other")
    db.session.commit()
    return World(event, visit, private, stop, rsvp, invitation, other.id)


def _form_fields(client, urls: list[str]) -> dict[tuple[str, str], set[str]]:
    """The fields of every form on these pages, by (method, action path)."""
    fields: dict[tuple[str, str], set[str]] = {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        document = html5lib.parse(response.text, namespaceHTMLElements=False)
        for form in document.iter("form"):
            method = (form.get("method") or "get").upper()
            action = urlsplit(form.get("action") or url).path
            names = {
                element.get("name")
                for tag in ("input", "select", "textarea", "button")
                for element in form.iter(tag)
                if element.get("name") and element.get("name") != "csrf_token"
            }
            fields.setdefault((method, action), set()).update(names)
    return fields


def _routes(app, world: World) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) for every route, its URL filled in with `world`'s records."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in NOT_SWEPT:
                continue
            url = url_for(rule.endpoint, **world.url_values(rule))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, url))
    return sorted(routes)


def _sweep_route(client, endpoint: str, method: str, url: str, names: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(names, VALUES)))
    def no_server_error(values):
        if method == "GET":
            response = client.get(url, query_string=values)
        else:
            response = client.post(url, data=values)
        assert response.status_code < 500, (endpoint, method, url, values)

    no_server_error()


def _sweep(client, routes, fields) -> int:
    """Random values in every field of every route; returns how many routes had fields."""
    with_fields = 0
    for endpoint, method, url in routes:
        names = fields.get((method, urlsplit(url).path), set())
        if method == "GET":
            names = names | set(QUERY_PARAMETERS)
        with_fields += bool(names)
        _sweep_route(client, endpoint, method, url, sorted(names))
    return with_fields


def test_no_public_route_answers_random_input_with_a_server_error(app, client, world):
    routes = [r for r in _routes(app, world) if not r[0].startswith(("organizer.", "accounts."))]
    routes += [("accounts.login", "POST", "/organizer/login")]
    fields = _form_fields(client, [url for _, method, url in routes if method == "GET"])
    assert {"name", "email", "organization", "response"} <= fields[
        ("POST", f"/events/{world.event.slug}/rsvp")
    ]
    assert _sweep(client, routes, fields) >= 15


def test_no_organizer_route_answers_random_input_with_a_server_error(app, client, organizer, world):
    routes = _routes(app, world)
    fields = _form_fields(client, [url for _, method, url in routes if method == "GET"])
    assert {"title_en", "starts_at", "capacity"} <= fields[("POST", "/organizer/events/new")]
    assert {"name", "q"} <= fields[
        ("POST", f"/organizer/events/{world.event.slug}/checkin/walk-in")
    ]
    assert _sweep(client, routes, fields) >= 40


def test_a_capacity_of_300_digits_is_refused_next_to_its_field(client, organizer):
    response = client.post("/organizer/events/new", data=new_event_data(capacity="9" * 300))
    assert response.status_code == 422
    assert "Please enter a smaller number." in response.text

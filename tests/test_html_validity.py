"""Every main page is valid HTML: it parses without a single HTML5 parse error, its ids are
unique, and every label and ARIA reference points at an element that exists."""

from datetime import date

import html5lib
import pytest
from html5lib.constants import namespaces

from app.demo.seed import seed_demo
from app.extensions import db
from app.tokens import Purpose, make_token

XHTML_PREFIX = "{" + namespaces["html"] + "}"
ITJ = "stakeholder-working-group-itj"
BOARD = "board-of-directors-meeting"
PUBLIC_PAGES = [
    "/",
    "/?lang=es",
    "/past",
    "/?kind=visit",
    "/subscribe",
    f"/events/{ITJ}",
    f"/events/{ITJ}?lang=es",
    "/events/ambassador-calibaja-visit",
    "/events/binational-bridges-border-crossings-plenary",
    "/events/no-such-event",
    "/organizer/login",
]
ORGANIZER_PAGES = [
    "/organizer/",
    "/organizer/events/new",
    f"/organizer/events/{ITJ}",
    f"/organizer/events/{ITJ}/edit",
    f"/organizer/events/{ITJ}/attendees",
    f"/organizer/events/{ITJ}/attendees?q=lopez",
    f"/organizer/events/{ITJ}/door-list",
    f"/organizer/events/{ITJ}/checkin",
    f"/organizer/events/{ITJ}/message",
    f"/organizer/events/{ITJ}/cancel",
    f"/organizer/events/{ITJ}/log",
    "/organizer/events/ambassador-calibaja-visit/stops/new",
    f"/organizer/events/{BOARD}/invitations",
    "/organizer/accounts",
    "/organizer/password",
]


def html_problems(page: str) -> list[str]:
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=True)
    document = parser.parse(page)
    problems = [
        f"line {line}, column {column}: {code} {details or ''}"
        for (line, column), code, details in parser.errors
    ]
    elements = list(document.iter())
    ids = [element.get("id") for element in elements if element.get("id") is not None]
    problems += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    known = set(ids)
    for element in elements:
        tag = element.tag.removeprefix(XHTML_PREFIX)
        references = [element.get("for")] if tag == "label" and element.get("for") else []
        for attribute in ("aria-describedby", "aria-labelledby", "aria-controls"):
            references += (element.get(attribute) or "").split()
        problems += [f"<{tag}> refers to missing id {r!r}" for r in references if r not in known]
        if tag == "img" and element.get("alt") is None:
            problems.append(f"<img src={element.get('src')!r}> has no alt")
    return problems


@pytest.fixture
def demo(app, answer_rsvp):
    events = {event.slug: event for event in seed_demo(date.today())}
    db.session.commit()
    rsvp = answer_rsvp(events[ITJ], name="Ana López", email="ana@example.com", guests=1)
    answer_rsvp(events[ITJ], name="Bob Smith", attending=False)
    return rsvp


def test_the_checker_catches_broken_markup():
    broken = '<!doctype html><html lang="en"><title>x</title><p id="a"><b>x</p></i>'
    broken += '<label for="nowhere">y</label><span id="a"></span>'
    problems = html_problems(broken)
    assert any("unexpected-end-tag" in p for p in problems)
    assert "duplicate id 'a'" in problems
    assert "<label> refers to missing id 'nowhere'" in problems


def test_public_pages_are_valid_html(client, demo):
    pages = [*PUBLIC_PAGES, f"/rsvp/{make_token(demo, Purpose.MANAGE)}"]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert html_problems(response.text) == [], path


def test_pages_showing_form_errors_are_valid_html(client, demo):
    response = client.post(f"/events/{ITJ}/rsvp", data={"email": "not an email"})
    assert response.status_code == 422
    assert html_problems(response.text) == []
    recorded = client.post(
        f"/events/{ITJ}/rsvp",
        data={
            "name": "Luis Pérez",
            "email": "luis@example.com",
            "organization": "INDEX",
            "response": "yes",
            "language": "es",
        },
    )
    assert recorded.status_code == 302
    assert html_problems(client.get(recorded.location).text) == []


def test_organizer_pages_are_valid_html(client, admin, demo):
    for path in [*ORGANIZER_PAGES, f"/organizer/events/{ITJ}/attendees/{demo.id}"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert html_problems(response.text) == [], path

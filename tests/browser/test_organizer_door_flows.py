"""Organizers with attendees, in a real browser: export the list, check people in on a phone."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.events.models import Event
from app.extensions import db
from app.rsvps import services
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_organizer_event_flows import sign_in

SLUG = "stakeholder-working-group-itj"
PEOPLE = [
    ("María José García López", "maria@example.com", "CDT"),
    ("Ana López", "ana@example.com", "Instituto Tecnológico de Tijuana"),
    ("John Smith", "john@example.com", "San Diego Regional Chamber"),
]


@pytest.fixture
def attendees(live):
    with live.app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == SLUG))
        for name, email, organization in PEOPLE:
            answer = services.Answer(
                name=name,
                email=email,
                organization=organization,
                attending=True,
                share_with_host=email != "john@example.com",
            )
            services.submit_answer(event, answer, datetime.now(UTC))
        db.session.commit()


def test_export_the_attendee_list_as_csv(live, page, attendees):
    sign_in(live, page)
    page.goto(f"{live.url}/organizer/events/{SLUG}/attendees")
    expect(page.get_by_text("María José García López")).to_be_visible()
    screenshot(page, "attendees-desktop")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").first.click()
    download = download_info.value
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert sorted(r[next(iter(r))] for r in rows) == sorted(p[0] for p in PEOPLE)
    assert download.suggested_filename.endswith(".csv")


def test_check_someone_in_on_a_phone(live, open_page, attendees):
    page = open_page(viewport=PHONE)
    sign_in(live, page)
    page.goto(f"{live.url}/organizer/events/{SLUG}/checkin")
    page.get_by_role("searchbox").fill("lopez")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Check in Ana López").click()
    expect(page.get_by_text("Ana López is checked in.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo Ana López")).to_be_visible()
    screenshot(page, "checkin-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_text("Add a walk-in").click()
    page.get_by_label("Full name").fill("Walk-in Visitor")
    page.get_by_role("button", name="Add and check in").click()
    expect(
        page.get_by_text("Walk-in Visitor was added as a walk-in and checked in.")
    ).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_attendee_pages_have_no_serious_accessibility_violations(
    live, open_page, attendees, viewport
):
    page = open_page(viewport=viewport)
    sign_in(live, page)
    for path in [
        f"/organizer/events/{SLUG}/attendees",
        f"/organizer/events/{SLUG}/checkin",
        f"/organizer/events/{SLUG}/door-list",
        f"/organizer/events/{SLUG}/log",
        "/organizer/events/board-of-directors-meeting/invitations",
        "/subscribe",
    ]:
        page.goto(live.url + path)
        assert serious_violations(page) == [], path


def test_change_an_answer_for_someone_who_called(live, page, attendees):
    sign_in(live, page)
    page.goto(f"{live.url}/organizer/events/{SLUG}/attendees")
    page.get_by_role("link", name="John Smith").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("John Smith")
    assert serious_violations(page) == []
    page.get_by_label("Won't attend").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("John Smith's answer is saved.")).to_be_visible()
    row = page.locator("tr", has_text="John Smith")
    expect(row).to_contain_text("Not attending")
    live.deliver_mail()
    assert live.mailbox.to("john@example.com")[-1]["Subject"].startswith("We've noted")

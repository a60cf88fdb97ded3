"""What organizers do with events, in a real browser with CSRF on: plan a visit, fix a form,
add its stops, publish it; and the pages they use pass axe-core."""

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.conftest import PASSWORD


def sign_in(live, page: Page) -> None:
    page.goto(live.url + "/organizer/login")
    page.get_by_label("Email").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/organizer/")


def test_plan_a_visit_fix_the_form_add_stops_and_publish(live, open_page):
    page = open_page(viewport=DESKTOP)
    sign_in(live, page)
    page.get_by_role("link", name="New event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New event")

    day = (date.today() + timedelta(days=60)).isoformat()
    page.get_by_label("Kind of event").select_option("visit")
    page.get_by_label("Title in English").fill("Otay Mesa port tour")
    page.get_by_label("Title in Spanish (optional)").fill("Recorrido por la garita de Otay")
    page.get_by_label("Starts").fill(f"{day}T11:00")
    page.get_by_label("Ends", exact=True).fill(f"{day}T09:00")  # before the start
    page.get_by_label("Time zone", exact=True).select_option("America/Tijuana")
    page.get_by_label("Instituto Tecnológico de Tijuana").first.check()
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#ends_at-error")).to_have_text("The end must be after the start.")
    assert serious_violations(page) == []
    screenshot(page, "organizer-event-form-errors-desktop")

    page.get_by_label("Ends", exact=True).fill(f"{day}T15:00")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Otay Mesa port tour")
    expect(page.get_by_text("Draft saved")).to_be_visible()

    for title, hour in (("Otay Mesa port of entry", "11"), ("Lunch at CDT", "13")):
        page.get_by_role("link", name="Add a stop").click()
        page.get_by_label("Title in English").fill(title)
        page.get_by_label("Starts").fill(f"{day}T{hour}:00")
        page.get_by_role("button", name="Add stop").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.get_by_role("button", name="Move up Lunch at CDT").click()
    expect(page.locator(".stop h3")).to_have_text(["Lunch at CDT", "Otay Mesa port of entry"])
    assert serious_violations(page) == []
    screenshot(page, "organizer-event-desktop")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the event is on the calendar")).to_be_visible()
    page.get_by_role("link", name="Public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Otay Mesa port tour")
    expect(page.get_by_role("heading", name="Itinerary")).to_be_visible()


def test_event_management_pages_have_no_serious_accessibility_violations(live, open_page):
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = open_page(viewport=viewport)
        sign_in(live, page)
        slug = "ambassador-calibaja-visit"
        for name, path in {
            "new-event": "/organizer/events/new",
            "event": f"/organizer/events/{slug}",
            "edit-event": f"/organizer/events/{slug}/edit",
            "new-stop": f"/organizer/events/{slug}/stops/new",
            "message": f"/organizer/events/{slug}/message",
            "cancel": f"/organizer/events/{slug}/cancel",
        }.items():
            page.goto(live.url + path)
            assert serious_violations(page) == [], path
            screenshot(page, f"organizer-{name}-{size}")

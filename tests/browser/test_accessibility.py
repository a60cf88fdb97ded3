"""axe-core, run in Chromium against the main pages: no serious or critical violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.conftest import PASSWORD

AXE = Axe()
PUBLIC_PAGES = {
    "events": "/",
    "events-es": "/?lang=es",
    "past": "/past",
    "event": "/events/stakeholder-working-group-itj",
    "visit": "/events/ambassador-calibaja-visit",
    "plenary": "/events/binational-bridges-border-crossings-plenary",
    "not-found": "/events/no-such-event",
    "sign-in": "/organizer/login",
}


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_public_pages_have_no_serious_accessibility_violations(live, open_page, viewport):
    page = open_page(viewport=viewport)
    size = "desktop" if viewport is DESKTOP else "phone"
    for name, path in PUBLIC_PAGES.items():
        page.goto(live.url + path)
        assert page.locator("html").get_attribute("lang") in ("en", "es")
        assert serious_violations(page) == [], path
        screenshot(page, f"{name}-{size}")


def test_form_with_errors_has_no_serious_accessibility_violations(live, page):
    page.goto(live.url + "/events/stakeholder-working-group-itj")
    page.get_by_role("button", name="Send my RSVP").click()
    assert page.get_by_role("alert").is_visible()
    assert serious_violations(page) == []


def test_organizer_pages_have_no_serious_accessibility_violations(live, page):
    page.goto(live.url + "/organizer/login")
    page.get_by_label("Email").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/organizer/")
    assert serious_violations(page) == []
    screenshot(page, "dashboard-desktop")


def test_the_check_itself_catches_a_violation(page):
    """Guards the guard: a page with an unlabeled input and low contrast must fail."""
    page.set_content(
        '<html lang="en"><body><main><input type="text">'
        '<p style="color:#eee;background:#fff">faint</p></main></body></html>'
    )
    found = " ".join(serious_violations(page))
    assert "label" in found and "color-contrast" in found

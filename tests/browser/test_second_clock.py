"""The reader's own clock beside the event's, in a real browser set to Tijuana's time zone."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP

PLENARY = "binational-bridges-border-crossings-plenary"


def test_a_tijuana_reader_sees_the_mexico_city_plenary_on_both_clocks(live, open_page):
    page = open_page(viewport=DESKTOP, timezone_id="America/Tijuana", locale="en-US")
    page.goto(f"{live.url}/events/{PLENARY}")

    when = page.locator(".facts .when")
    expect(when.locator("time")).to_have_attribute("data-zone", "America/Mexico_City")
    expect(when.locator("time")).to_contain_text("9:00 AM CST")
    # 9:00 in Mexico City is 7:00 in Tijuana in winter, 8:00 in summer.
    expect(when.locator(".local-time")).to_have_text(
        re.compile(r"^ · [78]:00 AM P[SD]T – 1[23]:00 PM P[SD]T in your time zone$")
    )
    # The RSVP form will tell the server which clock to use in emails.
    expect(page.locator('input[name="viewer_timezone"]')).to_have_value("America/Tijuana")

    # A Tijuana event needs no second clock for a Tijuana reader.
    page.goto(f"{live.url}/events/stakeholder-working-group-itj")
    expect(page.locator(".facts .when time")).to_contain_text(re.compile(r"P[SD]T"))
    expect(page.locator(".local-time")).to_have_count(0)

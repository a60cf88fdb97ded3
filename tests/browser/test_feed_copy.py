"""Copying a calendar's address on the Subscribe page, with and without JavaScript."""

from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations

CLIPBOARD = ["clipboard-read", "clipboard-write"]


def test_the_copy_button_puts_the_feed_address_on_the_clipboard(live, open_page):
    page = open_page(viewport=DESKTOP, permissions=CLIPBOARD)
    page.goto(live.url + "/subscribe")
    addresses = page.locator(".feed-address input")
    buttons = page.get_by_role("button", name="Copy address")
    assert buttons.count() == addresses.count() == 4

    feed = page.locator(".feed").nth(1)  # one kind of event, not the first on the page
    address = feed.locator("input").input_value()
    assert address.startswith(live.url + "/calendar/") and address.endswith(".ics")
    page.evaluate("navigator.clipboard.writeText('something else')")
    feed.get_by_role("button", name="Copy address").click()
    expect(feed.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == address
    # Only the button pressed says so.
    assert page.get_by_role("status").filter(has_text="Copied").count() == 1
    assert serious_violations(page) == []
    screenshot(page, "subscribe-copied-desktop")


def test_the_copy_button_speaks_the_pages_language(live, open_page):
    page = open_page(viewport=PHONE, permissions=CLIPBOARD)
    page.goto(live.url + "/subscribe?lang=es")
    with live.app.app_context(), force_locale("es"):
        copy, copied = gettext("Copy address"), gettext("Copied")
    first = page.locator(".feed").first
    first.get_by_role("button", name=copy).click()
    expect(first.get_by_role("status")).to_have_text(copied)
    assert page.evaluate("navigator.clipboard.readText()") == first.locator("input").input_value()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


def test_without_javascript_the_address_is_there_to_select(live, open_page):
    page = open_page(viewport=DESKTOP, java_script_enabled=False)
    page.goto(live.url + "/subscribe")
    assert page.get_by_role("button", name="Copy address").count() == 0
    field = page.get_by_label("Calendar address (to copy)").first
    expect(field).to_have_value(live.url + "/calendar.ics")
    expect(field).to_have_attribute("readonly", "")

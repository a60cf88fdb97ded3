"""What attendees do, in a real browser: browse, open an event, RSVP, follow the emailed link."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot


def test_browse_the_list_and_open_an_event(live, page):
    page.goto(live.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming events")
    cards = page.locator(".event-card h2")
    titles = cards.all_inner_texts()
    assert "Stakeholder Working Group Meeting" in titles
    assert "Smart Border Coalition Board of Directors Meeting" not in titles  # invite-only
    screenshot(page, "events-desktop")

    page.get_by_role("link", name="Visits").click()
    expect(page).to_have_url(re.compile(r"kind=visit"))
    assert all(b == "Visit" for b in page.locator(".event-card .badge").all_inner_texts())

    page.get_by_role("link", name="U.S. Ambassador Ron Johnson's CaliBaja visit").click()
    expect(page.get_by_role("heading", name="Itinerary")).to_be_visible()
    assert page.locator(".stop").count() >= 4
    screenshot(page, "visit-desktop")


def rsvp(page, name: str, email: str) -> None:
    page.get_by_label("Yes, I'll attend").check()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Organization", exact=True).fill("Instituto Tecnológico de Tijuana")
    page.get_by_role("button", name="Send my RSVP").click()


def test_rsvp_then_cancel_from_the_emailed_link(live, page):
    page.goto(live.url + "/events/stakeholder-working-group-itj")
    screenshot(page, "event-desktop")
    rsvp(page, "Ana López", "ana@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text("An email is on its way to ana@example.com")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/events/stakeholder-working-group-itj/rsvp(#rsvp)?$"))
    screenshot(page, "confirmed-desktop")

    live.deliver_mail()
    [message] = live.mailbox.to("ana@example.com")
    body = message.get_body(preferencelist=("plain",)).get_content()
    manage_url = re.search(r"http://127\.0\.0\.1:\d+/rsvp/\S+", body).group(0)

    page.goto(manage_url)
    expect(page.get_by_text("Ana López")).to_be_visible()
    page.get_by_role("button", name="Cancel my RSVP").click()
    expect(page.get_by_text("Your RSVP is cancelled")).to_be_visible()
    live.deliver_mail()
    assert live.mailbox.to("ana@example.com")[-1]["Subject"].startswith("Your RSVP is cancelled")


def test_a_spanish_reader_rsvps_and_cancels_in_spanish_on_a_phone(live, open_page):
    page = open_page(viewport=PHONE, locale="es-MX")  # the browser asks for Spanish
    page.goto(live.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Próximos eventos")
    screenshot(page, "events-es-phone")

    page.get_by_role("link", name="Reunión del Grupo de Trabajo de Actores Clave").click()
    screenshot(page, "event-es-phone")
    page.get_by_label("Sí, asistiré").check()
    page.get_by_label("Nombre completo").fill("María José García")
    page.get_by_label("Correo electrónico", exact=True).fill("maria@example.com")
    page.get_by_label("Organización", exact=True).fill("Instituto Tecnológico de Tijuana")
    page.get_by_role("button", name="Enviar mi respuesta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revise su correo")
    screenshot(page, "confirmed-es-phone")

    live.deliver_mail()
    [message] = live.mailbox.to("maria@example.com")
    assert message["Subject"] == (
        "Asistencia confirmada: Reunión del Grupo de Trabajo de Actores Clave"
    )
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Para cambiar o cancelar su respuesta" in body
    page.goto(re.search(r"http://127\.0\.0\.1:\d+/rsvp/\S+", body).group(0))
    page.get_by_role("button", name="Cancelar mi confirmación").click()
    expect(page.get_by_text("Su confirmación de asistencia fue cancelada")).to_be_visible()

    # The switch wins over the browser's language, and is remembered.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(live.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming events")


def test_form_errors_are_announced_and_linked_on_a_phone(live, open_page):
    page = open_page(viewport=PHONE)
    page.goto(live.url + "/events/stakeholder-working-group-itj")
    email = page.get_by_label("Email", exact=True)
    email.fill("not an email")
    page.get_by_role("button", name="Send my RSVP").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check the form")
    expect(email).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name=re.compile("Email")).click()
    expect(email).to_be_focused()
    screenshot(page, "rsvp-errors-phone")
    # Nothing may stick out sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


def test_pages_work_without_javascript(live, open_page):
    page = open_page(viewport=DESKTOP, java_script_enabled=False)
    page.goto(live.url + "/events/stakeholder-working-group-itj")
    rsvp(page, "Luis Pérez", "luis@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.reload()  # post/redirect/get: a reload shows the page again, posting nothing
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(live.url + "/events/stakeholder-working-group-itj")
    page.get_by_text("Already answered? Lost your personal link?").click()
    page.get_by_label("Your email").fill("luis@example.com")
    page.get_by_role("button", name="Email me my link").click()
    expect(page.get_by_text("If luis@example.com has an answer for this event")).to_be_visible()


def test_a_stranger_with_the_address_changes_nothing_and_the_owner_gets_the_link(
    live, page, open_page
):
    """The trust issue's steps in two browsers: Ana answers; Mallory posts her address."""
    event_url = live.url + "/events/stakeholder-working-group-itj"
    page.goto(event_url)
    rsvp(page, "Ana López", "ana.trust@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    mallory = open_page(viewport=DESKTOP)
    mallory.goto(event_url)
    mallory.get_by_label("No, I can't attend").check()
    mallory.get_by_label("Full name").fill("Mallory")
    mallory.get_by_label("Email", exact=True).fill("ANA.TRUST@example.com")
    mallory.get_by_label("Organization", exact=True).fill("Evil")
    mallory.get_by_role("button", name="Send my RSVP").click()
    expect(mallory.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert "Ana" not in mallory.content() and "/rsvp/" not in mallory.content()

    live.deliver_mail()
    confirmed, link = live.mailbox.to("ana.trust@example.com")
    assert confirmed["Subject"].startswith("You're confirmed")
    assert link["Subject"].startswith("Your personal link")
    body = link.get_body(preferencelist=("plain",)).get_content()
    assert "Mallory" not in body
    page.goto(re.search(r"http://127\.0\.0\.1:\d+/rsvp/\S+", body).group(0))
    expect(page.get_by_text("Ana López")).to_be_visible()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()

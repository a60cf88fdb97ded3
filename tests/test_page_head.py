"""What a first visitor's browser and a search engine read in every page's head: the icon, a
description in the page's language, and the basics (language, viewport, title)."""

import html5lib

from app.events.models import EventStatus

NS = {"h": "http://www.w3.org/1999/xhtml"}


def head_of(response):
    assert response.status_code == 200, response.status_code
    return html5lib.parse(response.text).find("h:head", NS)


def meta_description(response) -> str:
    [meta] = head_of(response).iterfind("h:meta[@name='description']", NS)
    return meta.get("content")


def test_every_page_links_an_icon_that_is_served(client):
    head = head_of(client.get("/"))
    icons = {link.get("href"): link for link in head.iterfind("h:link[@rel='icon']", NS)}
    assert icons["/static/favicon.svg"].get("type") == "image/svg+xml"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.text.lstrip().startswith("<svg")
    # Browsers ask for /favicon.ico whatever the page says, so it exists too.
    assert "/favicon.ico" in icons
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.mimetype == "image/vnd.microsoft.icon"
    assert ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header


def test_the_listing_describes_the_organizers_events_in_the_page_language(app, client):
    app.config["ORGANIZER_NAME"] = "Coalición Fronteriza"
    english = meta_description(client.get("/"))
    assert english == "Events of Coalición Fronteriza: dates, places and online RSVP."
    spanish = meta_description(client.get("/?lang=es"))
    assert spanish == (
        "Eventos de Coalición Fronteriza: fechas, lugares y confirmación de asistencia en línea."
    )
    assert meta_description(client.get("/subscribe")) == english
    assert meta_description(client.get("/past")) == english


def test_an_event_page_describes_the_event_when_where_and_what(client, make_event, make_venue):
    venue = make_venue(name="Instituto Tecnológico de Tijuana", city="Tijuana")
    event = make_event(
        slug="logistics-forum",
        venue=venue,
        title_en="Logistics Forum",
        title_es="Foro de Logística",
        description_en="Shippers compare notes.\r\nCoffee at 8.\r\n\r\nSecond paragraph.",
        description_es="Los transportistas comparan notas.\n\nSegundo párrafo.",
    )
    english = meta_description(client.get("/events/logistics-forum"))
    assert english.startswith(event.starts_at.astimezone(event.zone).strftime("%a %b "))
    assert "Instituto Tecnológico de Tijuana" in english
    assert english.endswith("Shippers compare notes. Coffee at 8.")  # the first paragraph only
    assert "AM" in english

    spanish = meta_description(client.get("/events/logistics-forum?lang=es"))
    assert spanish.endswith("Los transportistas comparan notas.")
    assert "AM" not in spanish and "Instituto Tecnológico de Tijuana" in spanish


def test_a_cancelled_event_says_so_in_its_description(client, make_event):
    make_event(slug="called-off", status=EventStatus.CANCELLED)
    assert meta_description(client.get("/events/called-off")).startswith(
        "This event has been cancelled."
    )
    assert meta_description(client.get("/events/called-off?lang=es")).startswith(
        "Este evento fue cancelado."
    )


def test_public_pages_have_the_basics_a_search_engine_and_a_phone_need(client, make_event):
    make_event(slug="logistics-forum")
    for path in ("/", "/?lang=es", "/past", "/subscribe", "/events/logistics-forum"):
        response = client.get(path)
        document = html5lib.parse(response.text)
        assert document.get("lang") in ("en", "es"), path
        head = document.find("h:head", NS)
        [viewport] = head.iterfind("h:meta[@name='viewport']", NS)
        assert viewport.get("content") == "width=device-width, initial-scale=1", path
        assert head.find("h:title", NS).text.strip(), path
        assert head.find("h:meta[@name='robots']", NS) is None, path  # public: indexable
        assert "noindex" not in response.headers.get("X-Robots-Tag", ""), path

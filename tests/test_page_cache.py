"""The short-lived public page cache: fast copies, never someone else's token or a stale error."""

import re

import pytest

from app.extensions import cache, db

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def caching(app):
    app.config.update(PAGE_CACHE_SECONDS=60, WTF_CSRF_ENABLED=True)
    cache.clear()
    yield
    cache.clear()


def test_public_pages_are_served_from_the_cache_until_it_expires(app, client, make_event, caching):
    event = make_event(title_en="Original title")
    assert "Original title" in client.get(f"/events/{event.slug}").text
    event.title_en = "Changed title"
    db.session.commit()
    assert "Original title" in client.get(f"/events/{event.slug}").text  # cached copy
    assert "Original title" in client.get("/").text or "Changed title" in client.get("/").text
    cache.clear()  # what expiry does
    assert "Changed title" in client.get(f"/events/{event.slug}").text


def test_each_visitor_gets_their_own_working_csrf_token(app, make_event, caching):
    event = make_event(capacity=5)
    first, second = app.test_client(), app.test_client()
    token_one = TOKEN.search(first.get(f"/events/{event.slug}").text).group(1)
    token_two = TOKEN.search(second.get(f"/events/{event.slug}").text).group(1)
    assert token_one != token_two
    response = second.post(
        f"/events/{event.slug}/rsvp",
        data={
            "csrf_token": token_two,
            "name": "Ana",
            "email": "ana@example.com",
            "organization": "ITJ",
            "response": "yes",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert "Check your email" in second.get(response.location).text


def test_languages_are_cached_apart(client, make_event, caching):
    event = make_event(title_en="Meeting", title_es="Reunión")
    assert "Meeting" in client.get(f"/events/{event.slug}").text
    assert "Reunión" in client.get(f"/events/{event.slug}?lang=es").text
    assert "Meeting" in client.get(f"/events/{event.slug}").text


def test_signed_in_organizers_see_fresh_pages(client, make_event, organizer, caching):
    event = make_event(title_en="Before")
    client.get(f"/events/{event.slug}")
    event.title_en = "After"
    db.session.commit()
    assert "After" in client.get(f"/events/{event.slug}").text


def test_errors_are_not_cached(client, make_event, caching):
    assert client.get("/events/later").status_code == 404
    make_event(slug="later")
    assert client.get("/events/later").status_code == 200

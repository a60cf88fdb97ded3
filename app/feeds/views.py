"""Calendar feeds, one event's .ics file, and the page that explains how to subscribe."""

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.db_types import utcnow
from app.events.labels import KIND_PLURALS
from app.events.models import Event, EventKind
from app.extensions import limiter
from app.feeds import links, queries
from app.feeds.responses import calendar_response
from app.i18n import current_language
from app.ical import publish_calendar
from app.tokens import Purpose, find_by_token

bp = Blueprint("feeds", __name__)
# Calendar apps poll feeds; a client polling far faster than any app would is cut off.
limiter.limit(lambda: current_app.config["RATELIMIT_FEEDS"])(bp)

# How often subscribed calendar apps should fetch a feed again.
REFRESH_INTERVAL = timedelta(hours=1)

MY_EVENTS = _l("My events")


def _feed_language() -> str:
    """`?lang=` when we speak it, else the default: the URL alone decides a feed's language,
    since calendar apps send neither our cookie nor a useful Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    requested = request.args.get("lang")
    return requested if requested in languages else languages[0]


def _calendar_name(title: LazyString) -> LazyString:
    """E.g. "Smart Border Coalition: Board meetings", rendered in the feed's language later."""
    return _l(
        "%(organizer)s: %(calendar)s",
        organizer=current_app.config["ORGANIZER_NAME"],
        calendar=title,
    )


def _feed(
    selection: queries.Selection,
    title: LazyString,
    *,
    private: bool = False,
    urls: Callable[[list[Event]], dict[int, str]] | None = None,
):
    """`urls` gives the addresses of events without a public page, once they are loaded."""
    language = _feed_language()
    name = _calendar_name(title)

    def build(events: list[Event]):
        return publish_calendar(
            events,
            language,
            name,
            utcnow(),
            refresh=REFRESH_INTERVAL,
            urls=urls(events) if urls else None,
        )

    return calendar_response(selection, language, build, private=private)


def _public_feed(kind: EventKind | None):
    selection = queries.public_selection(utcnow(), current_app.config["FEED_PAST_DAYS"], kind)
    return _feed(selection, KIND_PLURALS[kind] if kind else links.ALL_EVENTS)


@bp.get("/calendar.ics")
def public_feed():
    return _public_feed(None)


@bp.get("/calendar/<kind>.ics")
def kind_feed(kind: str):
    try:
        event_kind = EventKind(kind)
    except ValueError:
        abort(404)
    return _public_feed(event_kind)


@bp.get("/calendar/me/<token>.ics")
def personal_feed(token: str):
    rsvp = find_by_token(token, Purpose.FEED)
    if rsvp is None:
        abort(404)
    return _feed(
        queries.personal_selection(rsvp.email_key),
        MY_EVENTS,
        private=True,
        urls=lambda events: links.private_event_pages(rsvp.email_key, events),
    )


@bp.get("/events/<slug>.ics")
def event_file(slug: str):
    selection = queries.event_selection(slug)
    state = queries.feed_state(selection)
    if state.count == 0:  # no such event, or not for the public: as the event page does
        abort(404)
    language = _feed_language()
    return calendar_response(
        selection,
        language,
        # No calendar name: apps import a lone event into a calendar of the reader's choosing.
        lambda events: publish_calendar(events, language, None, utcnow()),
        filename=f"{slug}.ics",
        state=state,
    )


@bp.get("/subscribe")
def subscribe():
    return render_template(
        "feeds/subscribe.html",
        feeds=links.public_feeds(current_language()),
        past_days=current_app.config["FEED_PAST_DAYS"],
    )


bp.add_app_template_global(links.google_event_link)
bp.add_app_template_global(links.outlook_event_link)
bp.add_app_template_global(links.event_download_url)
bp.add_app_template_global(links.personal_feed_links)

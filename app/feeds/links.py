"""Links that put our calendars into people's calendar apps.

Plain links only: Google's pages are opened by the reader's click, nothing is loaded from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask import current_app, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.events.labels import KIND_PLURALS
from app.events.models import Event, EventKind
from app.extensions import db
from app.ical import event_description, event_location, event_url
from app.rsvps.models import Rsvp
from app.tokens import Purpose, make_token
from app.urls import absolute_url

GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/r"
GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render"
# Outlook's "new event" form on the web: personal accounts, and work or school ones (Office 365).
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"
OFFICE_365_COMPOSE = "https://outlook.office.com/calendar/0/deeplink/compose"
# The event forms arrive through a URL; a long description would make it too long.
DETAILS_LIMIT = 1000

ALL_EVENTS = _l("All events")


@dataclass(frozen=True)
class SubscriptionLinks:
    """One feed three ways: to copy, to open in the system's calendar app, and for Google."""

    https: str
    webcal: str
    google: str


def _language_args(language: str) -> dict[str, str]:
    """`lang=` only for a language other than the default, so English URLs stay short."""
    return {} if language == current_app.config["LANGUAGES"][0] else {"lang": language}


def subscription_links(endpoint: str, language: str, **values) -> SubscriptionLinks:
    """Absolute links (on PUBLIC_URL) to subscribe to the feed at `endpoint`.

    webcal:// makes browsers hand the feed to the calendar app, which then subscribes instead of
    importing a one-off copy.
    """
    https = absolute_url(endpoint, **values, **_language_args(language))
    webcal = "webcal://" + https.split("://", 1)[1]
    google = f"{GOOGLE_SUBSCRIBE}?{urlencode({'cid': webcal})}"
    return SubscriptionLinks(https=https, webcal=webcal, google=google)


@dataclass(frozen=True)
class Feed:
    """A public feed as the Subscribe page offers it."""

    title: LazyString
    links: SubscriptionLinks


def public_feeds(language: str) -> list[Feed]:
    """Every public feed: all events first, then one per kind."""
    feeds = [Feed(ALL_EVENTS, subscription_links("feeds.public_feed", language))]
    feeds += [
        Feed(KIND_PLURALS[kind], subscription_links("feeds.kind_feed", language, kind=kind.value))
        for kind in EventKind
    ]
    return feeds


def personal_feed_links(token: str, language: str) -> SubscriptionLinks:
    """The attendee's own feed; `token` is their FEED token, never the manage one."""
    return subscription_links("feeds.personal_feed", language, token=token)


def _event_details(event: Event, language: str) -> str:
    """The description for a web calendar's form: cut short if need be, keeping the address."""
    url = event_url(event, language)
    details = event_description(event, language, url)
    if len(details) > DETAILS_LIMIT:
        details = details[: DETAILS_LIMIT - len(url) - 3].rstrip() + "…\n\n" + url
    return details


def _google_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_event_link(event: Event, language: str) -> str:
    """Google Calendar's "new event" form, filled in with this event."""
    params = {
        "action": "TEMPLATE",
        "text": event.title(language),
        "dates": f"{_google_time(event.starts_at)}/{_google_time(event.ends_at)}",
        "details": _event_details(event, language),
        "location": event_location(event),
        "ctz": event.timezone,
    }
    return f"{GOOGLE_TEMPLATE}?{urlencode(params, quote_via=quote)}"


def _outlook_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def outlook_event_link(event: Event, language: str, office_365: bool = False) -> str:
    """Outlook on the web's "new event" form, filled in with this event: Outlook.com's, or with
    `office_365` that of work and school accounts. Times go in UTC, which it shows in the
    reader's own zone."""
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title(language),
        "startdt": _outlook_time(event.starts_at),
        "enddt": _outlook_time(event.ends_at),
        "location": event_location(event),
        "body": _event_details(event, language),
    }
    # Spaces as %20: Outlook shows a "+" as it is.
    query = urlencode(params, quote_via=quote)
    return f"{OFFICE_365_COMPOSE if office_365 else OUTLOOK_COMPOSE}?{query}"


def event_download_url(event: Event, language: str) -> str:
    """The event's own .ics file, for "Add to calendar" in any other app."""
    return url_for("feeds.event_file", slug=event.slug, **_language_args(language))


def private_event_pages(email_key: str, events: list[Event]) -> dict[int, str]:
    """For the events of a personal feed that have no public page (invite-only ones), the
    read-only page of the person's own RSVP, by event id. A read-only link: the feed is shared
    with a calendar app, so nothing in it may change an answer."""
    private = [event.id for event in events if not event.is_public]
    if not private:
        return {}
    rsvps = db.session.scalars(
        db.select(Rsvp).where(Rsvp.email_key == email_key, Rsvp.event_id.in_(private))
    )
    return {
        rsvp.event_id: absolute_url("rsvps.event_page", token=make_token(rsvp, Purpose.VIEW))
        for rsvp in rsvps
    }

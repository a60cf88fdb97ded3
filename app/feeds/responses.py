"""HTTP for calendars: validators from a cheap aggregate, and 304 before any calendar is built.

Calendar clients poll subscribed feeds all day. Answering an unchanged feed costs one aggregate
query; the events are loaded and serialized only when the validators say something changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, request
from icalendar import Calendar
from werkzeug.http import is_resource_modified

from app.events.models import Event
from app.feeds.queries import FeedState, Selection, feed_events, feed_state

CALENDAR_MIMETYPE = "text/calendar"


def entity_tag(state: FeedState, language: str) -> str:
    """A weak ETag over what the feed's content follows: its events, their changes, the language.

    Weak because the body carries DTSTAMP (when it was generated), so two equivalent responses
    are not byte for byte identical. The count catches events that leave the feed (deleted, or
    past the window) without any row changing.
    """
    stamp = state.last_modified.isoformat() if state.last_modified else "-"
    digest = hashlib.sha256(f"{state.count}|{stamp}|{language}".encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def calendar_response(
    selection: Selection,
    language: str,
    build: Callable[[list[Event]], Calendar],
    *,
    private: bool = False,
    filename: str | None = None,
    state: FeedState | None = None,
) -> Response:
    """The calendar of `selection`, or 304 Not Modified if the client's copy is current.

    `build` turns the loaded events into a Calendar; it runs only on a 200. Pass `state` when
    the caller already computed it (to tell a missing event from an empty feed).
    """
    state = state or feed_state(selection)
    etag = entity_tag(state, language)
    if is_resource_modified(request.environ, etag=etag, last_modified=state.last_modified):
        body = build(feed_events(selection)).to_ical()
        response = Response(body, mimetype=CALENDAR_MIMETYPE)  # Flask adds charset=utf-8
        if filename:
            response.headers.set("Content-Disposition", "attachment", filename=filename)
    else:
        response = Response(status=304)
    response.headers["ETag"] = etag
    if state.last_modified is not None:
        response.last_modified = state.last_modified
    # Clients may keep a copy but must ask again before using it: the 304 above is cheap.
    response.cache_control.no_cache = True
    if private:
        response.cache_control.private = True
        response.headers["X-Robots-Tag"] = "noindex"
    else:
        response.cache_control.public = True
    return response

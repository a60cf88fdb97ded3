"""Public event pages: the listing, past events, and one event."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.db_types import utcnow
from app.events import crossings, queries
from app.events.labels import KIND_LABELS, KIND_PLURALS, STATUS_LABELS
from app.events.models import EventKind, EventStatus
from app.page_cache import cached_page
from app.pagination import requested_page
from app.rsvps.panel import panel_context

bp = Blueprint("events", __name__)


def _kind_filter() -> EventKind | None:
    raw = request.args.get("kind")
    if not raw:
        return None
    try:
        return EventKind(raw)
    except ValueError:
        abort(400, _("Unknown kind of event: choose one from the list."))


def _listing(find_events, past: bool) -> str:
    """A page of upcoming or past events, of one kind or all."""
    kind = _kind_filter()
    page = requested_page()
    events = find_events(utcnow(), kind=kind, page=page)
    return render_template(
        "events/index.html", events=events, kind=kind, kinds=KIND_PLURALS, past=past
    )


@bp.get("/")
@cached_page
def index():
    return _listing(queries.upcoming_events, past=False)


@bp.get("/past")
@cached_page
def past():
    return _listing(queries.past_events, past=True)


@bp.get("/events/<slug>")
@cached_page
def detail(slug: str):
    event = queries.find_event_by_slug(slug)
    # Organizers preview drafts and invite-only events; everyone else needs them public.
    organizer_preview = current_user.is_authenticated
    if event is None or not (queries.can_view(event) or organizer_preview):
        abort(404)
    return render_template(
        "events/detail.html",
        event=event,
        preview=not event.is_public,
        **panel_context(event),
    )


@bp.app_template_global()
def kind_label(kind: EventKind) -> str:
    return str(KIND_LABELS[kind])


@bp.app_template_global()
def event_status_label(status: EventStatus) -> str:
    return str(STATUS_LABELS[status])


# A visit's border crossings, for its page, the organizer's and the attendees' emails.
bp.add_app_template_global(crossings.crossing_text)
bp.add_app_template_global(crossings.crossing_summary)

"""An event's security list, decrypted, for the organizers allowed to see it: who gave details
and who is missing, and the files for the venue (CSV, Excel).

Anyone else gets the 404 of a missing page, so nobody learns whether an event has a list.
Every view and export is in the event's change log (who, when, how many people, which format),
never with a value; no response may be kept by a browser or proxy cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _

from app.accounts.current import current_account
from app.audit import services as audit
from app.db_types import utcnow
from app.events.models import Event
from app.i18n import current_language, format_long_date
from app.organizer.editing import event_or_404
from app.privacy.encryption import EncryptionUnavailable, InvalidToken
from app.security_lists import exports
from app.security_lists.access import can_see_security_list
from app.security_lists.models import SecurityList
from app.security_lists.queries import security_list_of

bp = Blueprint("security_export", __name__)


@dataclass(frozen=True)
class Summary:
    """The security list's line on the event's organizer page."""

    progress: exports.Progress | None  # None: the details can't be decrypted here
    due_date: str | None  # in the event's zone and the reader's language
    overdue: bool
    details_url: str | None  # for organizers allowed to see the list only


def _due_date(security_list: SecurityList, event: Event) -> str | None:
    due_at = security_list.due_at
    return format_long_date(due_at, event.timezone, current_language()) if due_at else None


def security_list_summary(event: Event) -> Summary | None:
    """For the event page (app/organizer/event_views.py); None when the event has no list.
    Counts only: no value reaches the page."""
    security_list = security_list_of(event)
    if security_list is None:
        return None
    try:
        progress = exports.progress(security_list)
    except (InvalidToken, EncryptionUnavailable):
        progress = None  # /healthz and the start-up log name the missing key
    allowed = can_see_security_list(current_account(), event)
    return Summary(
        progress=progress,
        due_date=_due_date(security_list, event),
        overdue=progress is not None and progress.overdue(utcnow()),
        details_url=url_for("organizer.security_export.view", slug=event.slug) if allowed else None,
    )


NO_STORE = {"Cache-Control": "no-store"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _security_list_or_404(slug: str) -> tuple[Event, SecurityList]:
    event = event_or_404(slug, allowed=can_see_security_list)
    security_list = security_list_of(event)
    if security_list is None:
        abort(404)
    return event, security_list


def _contents(security_list: SecurityList) -> exports.ListContents:
    try:
        return exports.list_contents(security_list)
    except (InvalidToken, EncryptionUnavailable):
        # A deployment fault (a key missing or dropped too early), never the reader's: logged
        # without the token, and /healthz names it too (no_data_key).
        current_app.logger.error("security list %s: details can't be decrypted", security_list.id)
        abort(
            503,
            _(
                "The security list can't be read: the server's data encryption keys are "
                "missing or wrong. Please tell whoever runs Convoca."
            ),
        )


def _log(event: Event, action: str, export_format: str, people: int) -> None:
    """Who read which list, how many people and in which form; never a value."""
    audit.log_now(
        current_account(),
        action,
        "security_list",
        event,
        label=export_format,
        people=people,
    )


@bp.get("/events/<slug>/security-list/details")
def view(slug: str):
    event, security_list = _security_list_or_404(slug)
    contents = _contents(security_list)
    _log(event, "viewed", "page", len(contents.confirmed) + len(contents.waitlisted))
    page = render_template(
        "organizer/security_list/view.html",
        event=event,
        contents=contents,
        due_date=_due_date(security_list, event),
        overdue=contents.progress.overdue(utcnow()),
        columns=[(key, exports.field_label(key)) for key in exports.venue_fields(security_list)],
        field_label=exports.field_label,
        field_value=exports.field_value,
    )
    return page, 200, NO_STORE


def _download(event: Event, body: bytes, mimetype: str, extension: str) -> Response:
    filename = f"{event.slug}-security-list.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


@bp.get("/events/<slug>/security-list/details.csv")
def export_csv(slug: str):
    event, security_list = _security_list_or_404(slug)
    contents = _contents(security_list)
    body = exports.csv_bytes(contents)
    _log(event, "exported", "CSV", len(contents.exported))
    return _download(event, body, "text/csv", "csv")


@bp.get("/events/<slug>/security-list/details.xlsx")
def export_xlsx(slug: str):
    event, security_list = _security_list_or_404(slug)
    contents = _contents(security_list)
    body = exports.xlsx_bytes(contents)
    _log(event, "exported", "Excel", len(contents.exported))
    return _download(event, body, XLSX, "xlsx")

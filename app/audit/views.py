"""Reading the audit log of an event (the organizers who manage it only)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l

from app.accounts.current import current_account
from app.audit.models import AuditEntry
from app.events import access
from app.extensions import db
from app.i18n import current_language
from app.pagination import requested_page

bp = Blueprint("audit", __name__)

ACTIONS = {
    "created": _l("created"),
    "updated": _l("changed"),
    "deleted": _l("removed"),
    "exported": _l("exported"),
    "messaged": _l("messaged"),
    "checked_in": _l("checked in"),
    "viewed": _l("viewed"),
}
SUBJECTS = {
    "event": _l("event"),
    "stop": _l("itinerary stop"),
    "border_crossing": _l("border crossing"),
    "rsvp": _l("RSVP"),
    "invitation": _l("invitation"),
    "attendees": _l("attendee list"),
    "security_list": _l("security list"),
}


def local_time(value, zone: str) -> str:
    """An ISO timestamp from the log, shown in the event's zone; anything else as it is."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return (
            format_datetime(moment.astimezone(ZoneInfo(zone)), "medium", locale=current_language())
            + f" {moment.astimezone(ZoneInfo(zone)).tzname()}"
        )
    if value is None:
        return "—"
    return str(value)


@bp.get("/events/<slug>/log")
def event_log(slug: str):
    event = access.event_for(current_account(), slug)
    if event is None:
        abort(404)  # missing, or not one the organizer manages (app/events/access.py)
    entries = db.paginate(
        db.select(AuditEntry)
        .where(AuditEntry.event_id == event.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=requested_page(),
        per_page=100,
        error_out=False,
    )
    return render_template(
        "audit/event_log.html",
        event=event,
        entries=entries,
        actions=ACTIONS,
        subjects=SUBJECTS,
        local_time=local_time,
    )

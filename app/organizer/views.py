"""The organizer workspace: everything under /organizer/ requires a signed-in account, and a host
account reaches only its dashboard and the host lists of its organization's events."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from app.accounts.current import current_account
from app.db_types import utcnow
from app.events import access
from app.organizer import queries
from app.rsvps.services import closed_reason

bp = Blueprint("organizer", __name__, url_prefix="/organizer")

# Read-only pages; each still checks the event itself (app/events/access.py).
HOST_ENDPOINTS = frozenset(
    {
        "organizer.dashboard",
        "organizer.attendees.attendee_list",
        "organizer.attendees.attendees_csv",
        "organizer.attendees.attendees_xlsx",
        "organizer.attendees.door_list",
    }
)


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Attendee data never leaves without a signed-in account: this guard covers every
    blueprint nested in the workspace (app/organizer/workspace.py). A host account gets a 404
    for anything but reading: it must not learn what else the workspace holds."""
    if current_user.is_host and (
        request.endpoint not in HOST_ENDPOINTS or request.method not in ("GET", "HEAD")
    ):
        abort(404)


@bp.get("/")
def dashboard():
    now = utcnow()
    user = current_account()
    visible = access.visible_events(user)
    upcoming = queries.upcoming_for_organizers(now, visible)
    past = queries.recent_past_for_organizers(now, visible)
    if user.is_host:
        # Counts would tell a host about attendees who did not agree to be shared with it.
        return render_template("organizer/host_dashboard.html", upcoming=upcoming, past=past)
    counts = queries.rsvp_counts([e.id for e in upcoming + past])
    open_now = {e.id: closed_reason(e, now) is None for e in upcoming}
    return render_template(
        "organizer/dashboard.html", upcoming=upcoming, past=past, counts=counts, open_now=open_now
    )

"""The organizer workspace: everything under /organizer/ requires a signed-in organizer."""

from flask import Blueprint, render_template
from flask_login import login_required

from app.db_types import utcnow
from app.organizer import queries
from app.rsvps.services import closed_reason

bp = Blueprint("organizer", __name__, url_prefix="/organizer")


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Attendee data never leaves without a signed-in organizer: this guard covers every
    blueprint nested in the workspace (app/organizer/workspace.py)."""


@bp.get("/")
def dashboard():
    now = utcnow()
    upcoming = queries.upcoming_for_organizers(now)
    past = queries.recent_past_for_organizers(now)
    counts = queries.rsvp_counts([e.id for e in upcoming + past])
    open_now = {e.id: closed_reason(e, now) is None for e in upcoming}
    return render_template(
        "organizer/dashboard.html", upcoming=upcoming, past=past, counts=counts, open_now=open_now
    )

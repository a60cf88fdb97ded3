"""The organizer workspace: one blueprint under /organizer/ holding every organizer-side page.

Its sign-in guard (app/organizer/views.py) runs before every nested blueprint's routes, so no
page under it can be reached without an organizer, whichever module declares it. Nested once,
here, at import: a blueprint cannot take children after an app has registered it.
"""

from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from app.audit.views import bp as audit_bp
from app.errors import render_error
from app.invitations.views import bp as invitations_bp
from app.organizer.attendees_views import bp as attendees_bp
from app.organizer.checkin_views import bp as checkin_bp
from app.organizer.event_views import bp as events_bp
from app.organizer.inbound_views import bp as inbound_bp
from app.organizer.security_export_views import bp as security_export_bp
from app.organizer.security_list_views import bp as security_list_bp
from app.organizer.stop_views import bp as stops_bp
from app.organizer.views import bp
from app.rsvps.attendee_list import SEARCH_MAX_LENGTH, SearchTooLong

for child in (
    events_bp,
    stops_bp,
    attendees_bp,
    checkin_bp,
    invitations_bp,
    inbound_bp,
    security_list_bp,
    audit_bp,
    security_export_bp,
):
    bp.register_blueprint(child)


@bp.errorhandler(SearchTooLong)
def search_too_long(error: SearchTooLong):
    """Any list, export or door search under /organizer/ asked with a search too long to run."""
    message = _(
        "Please search with at most %(count)s characters: a name, an email or an organization.",
        count=SEARCH_MAX_LENGTH,
    )
    return render_error(BadRequest(message))


__all__ = ["bp"]

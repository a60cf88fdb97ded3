"""The organizer workspace: one blueprint under /organizer/ holding every organizer-side page.

Its sign-in guard (app/organizer/views.py) runs before every nested blueprint's routes, so no
page under it can be reached without an organizer, whichever module declares it. Nested once,
here, at import: a blueprint cannot take children after an app has registered it.
"""

from app.audit.views import bp as audit_bp
from app.invitations.views import bp as invitations_bp
from app.organizer.attendees_views import bp as attendees_bp
from app.organizer.checkin_views import bp as checkin_bp
from app.organizer.event_views import bp as events_bp
from app.organizer.views import bp

for child in (events_bp, attendees_bp, checkin_bp, invitations_bp, audit_bp):
    bp.register_blueprint(child)

__all__ = ["bp"]

"""Human names for event enums, translated at render time."""

from flask_babel import lazy_gettext as _l

from app.events.models import EventKind, EventStatus

KIND_LABELS = {
    EventKind.STAKEHOLDER_MEETING: _l("Stakeholder meeting"),
    EventKind.BOARD_MEETING: _l("Board meeting"),
    EventKind.VISIT: _l("Visit"),
}

KIND_PLURALS = {
    EventKind.STAKEHOLDER_MEETING: _l("Stakeholder meetings"),
    EventKind.BOARD_MEETING: _l("Board meetings"),
    EventKind.VISIT: _l("Visits"),
}

STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}

"""What event enums and refusals say to a person, translated."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.events import errors
from app.events.models import EventKind, EventStatus
from app.i18n import current_language, format_when

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


_STATUS_REFUSALS = {
    "publish": _l("Only a draft can be published."),
    "unpublish": _l("Only a published event can go back to draft."),
    "cancel": _l("This event is already cancelled."),
    "edit": _l("A cancelled event can't be changed. Duplicate it to plan it again."),
}


def error_message(error: errors.EventError) -> str:
    """What a refused change to an event says to the organizer who made it."""
    if isinstance(error, errors.SlugTaken):
        return _("That web address is taken. Please choose another.")
    if isinstance(error, errors.SlugLocked):
        return _("The web address can't change once the event is published.")
    if isinstance(error, errors.OrganizationInBothRoles):
        return _("%(name)s can be a host or a partner, not both.", name=error.name)
    if isinstance(error, errors.StopsNeedAVisit) and error.kept:
        return _("This visit has itinerary stops. Remove them before changing its kind.")
    if isinstance(error, errors.StopsNeedAVisit):
        return _("Only visits have an itinerary.")
    if isinstance(error, errors.WrongStatus):
        return str(_STATUS_REFUSALS[error.action])
    if isinstance(error, errors.UnknownChoice):
        return _("That venue or organization no longer exists. Please choose again.")
    if isinstance(error, errors.OwnerRefused):
        return _("Only active organizer and admin accounts can own events.")
    if isinstance(error, errors.LastOwner):
        return _("An event keeps at least one owner. Add another owner first.")
    if isinstance(error, errors.ZoneContradictsVenue):
        return _(
            "This venue is in %(venue_zone)s; the time zone says %(zone)s.",
            venue_zone=error.venue_zone,
            zone=error.zone,
        )
    if isinstance(error, errors.StopOutsideVisit):
        return _(
            "A stop must take place during the visit, which runs %(when)s.",
            when=format_when(
                error.visit_starts_at,
                error.visit_ends_at,
                error.visit_zone,
                current_language(),
                with_year=True,
            ),
        )
    raise error

"""What RSVP states and refusals say to a person."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.rsvps.errors import (
    ClosedReason,
    DetailsRequired,
    NotEnoughSeats,
    NotInvited,
    PartyTooLarge,
    RsvpError,
    RsvpsClosed,
    TooManyGuests,
)
from app.rsvps.models import RsvpStatus

CLOSED_MESSAGES = {
    ClosedReason.NOT_PUBLISHED: _l("This event is not open for RSVPs."),
    ClosedReason.CANCELLED: _l("This event has been cancelled, so RSVPs are closed."),
    ClosedReason.STARTED: _l("This event has already started, so RSVPs are closed."),
    ClosedReason.DEADLINE_PASSED: _l("The RSVP deadline has passed, so RSVPs are closed."),
}

STATUS_LABELS = {
    RsvpStatus.CONFIRMED: _l("Confirmed"),
    RsvpStatus.WAITLISTED: _l("Waitlisted"),
    RsvpStatus.DECLINED: _l("Not attending"),
    RsvpStatus.CANCELLED: _l("Cancelled"),
}


def error_message(error: RsvpError) -> str:
    """What a refused answer or change says to the person who made it."""
    if isinstance(error, RsvpsClosed):
        return str(CLOSED_MESSAGES[error.reason])
    if isinstance(error, NotEnoughSeats):
        return _("Only %(count)s more guests fit. Your seat is kept.", count=error.seats_left)
    if isinstance(error, PartyTooLarge):
        return ngettext(
            "Only %(num)s seat is left, and your party needs %(wanted)s. Choose fewer guests, "
            "or join the waitlist with your whole party.",
            "Only %(num)s seats are left, and your party needs %(wanted)s. Choose fewer guests, "
            "or join the waitlist with your whole party.",
            error.seats_left,
            wanted=error.seats_wanted,
        )
    if isinstance(error, NotInvited):
        return _("This event is by invitation only: please answer from your invitation's link.")
    if isinstance(error, DetailsRequired):
        return _(
            "The venue keeps a security list: please fill in the details it asks for every visitor."
        )
    if isinstance(error, TooManyGuests):
        return _("At most %(limit)s guests.", limit=error.limit)
    raise error

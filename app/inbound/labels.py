"""What the reasons of inbound mail left unapplied or ignored say to an organizer, keyed by
the codes app/inbound/processing.py stores in `InboundMessage.reason`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.inbound.processing import Reason

REASON_LABELS = {
    # Could not be applied: for an organizer to read.
    Reason.NO_CALENDAR: _l("No calendar answer in it: a typed reply, or an app we can't read"),
    Reason.NO_METHOD: _l("A calendar file that is not an answer to an invitation"),
    Reason.UNSUPPORTED_METHOD: _l("A kind of calendar message Convoca doesn't handle"),
    Reason.UNREADABLE_MESSAGE: _l("The message itself could not be read"),
    Reason.UNREADABLE_CALENDAR: _l("The calendar data could not be read"),
    Reason.UNREADABLE_TNEF: _l("An Outlook attachment (winmail.dat) that could not be read"),
    Reason.TNEF_WITHOUT_CALENDAR: _l("An Outlook attachment (winmail.dat) without an answer"),
    Reason.NOT_ENOUGH_SEATS: _l("Not enough seats left for the guests asked for"),
    Reason.TOO_MANY_GUESTS: _l("More guests than the event allows"),
    Reason.OTHER_PERSON: _l("An answer from someone else's calendar (a forwarded invitation?)"),
    Reason.REFUSED: _l("Refused by the RSVP rules"),
    Reason.ERROR: _l("An error in Convoca (see the server log)"),
    Reason.GAVE_UP: _l("Could not be applied after several attempts"),
    # Ignored: nothing to do.
    Reason.AUTO_REPLY: _l("An automatic reply, such as “out of office”"),
    Reason.ADDRESSEE_GONE: _l("The RSVP or invitation it answers no longer exists"),
    Reason.WRONG_EVENT: _l("An answer about another event"),
    Reason.STALE: _l("An answer to an invitation that has been replaced since"),
    Reason.SUPERSEDED: _l("A later answer from the same calendar was applied"),
    Reason.DUPLICATE: _l("The same answer was already applied"),
    Reason.COUNTER: _l("A proposal of another time: nothing changed"),
    Reason.UNSUPPORTED_PARTSTAT: _l("An answer that is neither yes, no nor maybe"),
    Reason.SINGLE_STOP: _l(
        "An answer to one stop of a visit: answers are for the whole visit for now"
    ),
    Reason.EVENT_CANCELLED: _l("The event is cancelled"),
    Reason.EVENT_STARTED: _l("The event has started or is over"),
    Reason.RSVPS_CLOSED: _l("The RSVP deadline has passed"),
    Reason.NOT_PUBLISHED: _l("The event is not published"),
    Reason.NOT_INVITED: _l("The invitation was revoked"),
    Reason.NOT_A_BOUNCE: _l("Mail to a bounce address that is not a delivery report"),
    Reason.BOUNCE_DELAYED: _l("A delivery delay, not a failure"),
    Reason.BOUNCE_NOT_FAILED: _l("A delivery report that is not a failure"),
    Reason.BOUNCE_OTHER_RECIPIENT: _l("A delivery failure for another address"),
}


def reason_label(code: str | None) -> str:
    """The label of a reason code; a code without one (newer than this table) as it is."""
    if not code:
        return ""
    label = REASON_LABELS.get(code)
    return str(label) if label is not None else code

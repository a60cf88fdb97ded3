"""The emails an RSVP causes, queued in the outbox within the same transaction."""

import enum

from app.db_types import utcnow
from app.extensions import db
from app.ical import (
    CalendarChange,
    CalendarEntry,
    advance_attendee_sequence,
    calendar_entries,
    calendar_invite,
    event_url,
)
from app.mail.outbox import queue_email
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import seats_left, stops_joined, waitlist_position
from app.tokens import Purpose, make_token
from app.urls import absolute_url

# Emails that give a seat carry the attendee's check-in QR code, to show at the door.
KINDS_WITH_CHECKIN_CODE = frozenset({"rsvp_confirmed", "rsvp_promoted"})


class LinkReason(enum.StrEnum):
    """Why an attendee is emailed their personal link again (the email's kind)."""

    ALREADY_ANSWERED = "rsvp_already_answered"  # the form was sent again with their address
    ASKED = "rsvp_link_requested"  # the "lost your link?" form


LINK_KINDS = frozenset(reason.value for reason in LinkReason)


def attendee_links(rsvp: Rsvp) -> tuple[str, str]:
    """The attendee's own page, and the event as their emails link it: its public page in their
    language, or, for an invite-only event the public cannot open, their own page again."""
    manage_url = absolute_url("rsvps.manage", token=make_token(rsvp, Purpose.MANAGE))
    if rsvp.event.is_public:
        return manage_url, event_url(rsvp.event, rsvp.language)
    return manage_url, manage_url


def attendee_entries(rsvp: Rsvp) -> list[CalendarEntry]:
    """The calendar entries the attendee's invitations hold: the stops they join of a visit,
    else the whole event."""
    return calendar_entries(rsvp.event, stops_joined(rsvp))


def queue_attendee_email(
    rsvp: Rsvp,
    template: str,
    kind: str,
    ics_method: str | None = None,
    *,
    calendar: CalendarChange | None = None,
    with_checkin_code: bool = False,
    **extra,
) -> None:
    """Queue an email to an attendee, about their answer or their event: in their language,
    with their own links, and, for REQUEST or CANCEL, calendar data their calendar applies.

    `ics_method` says what happens to the event in their calendar (REQUEST: it is there,
    CANCEL: it is gone); `calendar` narrows it to the entries a change touched, by default all
    of theirs with that method. One UID per iTIP message: the email carries the first entry,
    and each further one (a visit's other stops) follows in a short email of its own, of kind
    `<kind>_entry` (app/ical.py says why).
    """
    db.session.flush()  # the RSVP needs its id for its links
    manage_url, page_url = attendee_links(rsvp)
    messages = []
    if ics_method:
        advance_attendee_sequence(rsvp, ics_method)  # so their calendar applies it
        if calendar is None:
            calendar = CalendarChange.every(attendee_entries(rsvp), ics_method)
        messages = calendar.messages()
        rsvp.ical_sequence_sent = rsvp.event.sequence + rsvp.ical_sequence_offset
    stamp = utcnow()

    def ics_of(method: str, entry: CalendarEntry) -> str:
        invite = calendar_invite(rsvp.event, rsvp, method, stamp, page_url, entry.stop)
        return invite.to_ical().decode()

    first_method, first_entry = messages[0] if messages else (None, None)
    qr_url = None
    if with_checkin_code:
        qr_url = absolute_url("organizer.checkin.by_token", token=make_token(rsvp, Purpose.CHECKIN))
    context = {
        "rsvp": rsvp,
        "event": rsvp.event,
        "manage_url": manage_url,
        "event_url": page_url,
    }
    queue_email(
        template,
        kind,
        to_name=rsvp.name,
        to_email=rsvp.email,
        language=rsvp.language,
        context={**context, "has_invite": first_method == "REQUEST", **extra},
        ics=ics_of(first_method, first_entry) if first_entry is not None else None,
        ics_method=first_method,
        rsvp_id=rsvp.id,
        qr_url=qr_url,
    )
    for method, entry in messages[1:]:
        queue_email(
            "calendar_entry",
            f"{kind}_entry",
            to_name=rsvp.name,
            to_email=rsvp.email,
            language=rsvp.language,
            context={**context, "entry": entry, "method": method},
            ics=ics_of(method, entry),
            ics_method=method,
            rsvp_id=rsvp.id,
        )


def _queue(
    rsvp: Rsvp,
    kind: str,
    ics_method: str | None = None,
    with_checkin_code: bool | None = None,
    **extra,
) -> None:
    if with_checkin_code is None:
        with_checkin_code = kind in KINDS_WITH_CHECKIN_CODE
    queue_attendee_email(
        rsvp, "rsvp", kind, ics_method, with_checkin_code=with_checkin_code, **extra
    )


def queue_answer_recorded(rsvp: Rsvp, previous: RsvpStatus | None) -> None:
    """Confirmation of what was recorded: confirmed (with invite), waitlisted, or declined."""
    updated = previous is not None
    if rsvp.status is RsvpStatus.CONFIRMED:
        _queue(rsvp, "rsvp_confirmed", "REQUEST", updated=updated)
    elif rsvp.status is RsvpStatus.WAITLISTED:
        _queue(
            rsvp,
            "rsvp_waitlisted",
            position=waitlist_position(rsvp),
            updated=updated,
            # Seats remain, just not enough for the party, which chose to wait for them.
            party_waits=bool(seats_left(rsvp.event)),
        )
    else:
        # Someone who had a seat and now declines gets their calendar entry removed too.
        method = "CANCEL" if previous is RsvpStatus.CONFIRMED else None
        _queue(rsvp, "rsvp_declined", method, updated=updated)


def queue_promoted(rsvp: Rsvp) -> None:
    _queue(rsvp, "rsvp_promoted", "REQUEST")


def queue_cancelled(rsvp: Rsvp, had_invite: bool) -> None:
    _queue(rsvp, "rsvp_cancelled", "CANCEL" if had_invite else None)


def queue_personal_link(rsvp: Rsvp, reason: LinkReason) -> None:
    """The attendee's personal link, and their answer as it stands, to their own address only."""
    _queue(rsvp, reason.value, status=rsvp.status.value, position=waitlist_position(rsvp))


def queue_new_links(rsvp: Rsvp) -> None:
    """The attendee's replacement links, with a new check-in code if they have a seat."""
    _queue(rsvp, "rsvp_new_link", with_checkin_code=rsvp.status is RsvpStatus.CONFIRMED)

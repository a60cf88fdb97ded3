"""RSVP rules: one answer per person and event, capacity with a waitlist, self-service changes.

Plain functions over models, callable without a request. They flush but never commit: the caller
owns the transaction, so an RSVP and the emails it causes are stored together or not at all.

An RSVP belongs to whoever reads its address's mail. A public answer can create one, but never
change one: only the holder of a link we emailed (the personal link, or an invitation) or an
organizer changes an existing answer. Every caller gets that rule here, not in a view.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import EllipsisType
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import inspect as sa_inspect

from app.audit import services as audit
from app.events.crossings import check_crossing_document
from app.events.locking import lock_event
from app.events.models import Event, EventStatus, Visibility
from app.extensions import db
from app.invitations.models import Invitation
from app.invitations.queries import invitation_of
from app.mail.models import OutboxMessage
from app.privacy.retention import erase_attendee
from app.rsvps import notifications
from app.rsvps.errors import (
    ClosedReason,
    NotEnoughSeats,
    NotInvited,
    PartyTooLarge,
    RsvpsClosed,
    TooManyGuests,
)
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import email_key, find_rsvp, seats_taken
from app.security_lists import services as security_lists
from app.timezones import browser_zone
from app.tokens import revoke_tokens

if TYPE_CHECKING:
    from app.accounts.models import User

# However often someone asks (or pretends to be someone and asks), an address gets at most one
# email with its personal link per event in this time: enough for a person who lost it, too
# little to flood an inbox.
LINK_EMAIL_INTERVAL = timedelta(minutes=10)


class Result(enum.StrEnum):
    """What became of a public answer. Pages must not tell these apart: whether an address has
    answered is its owner's business."""

    RECORDED = "recorded"  # a new RSVP, or one changed through the invitation that proves it
    LINK_SENT = "link_sent"  # the address had answered: nothing changed, its owner was emailed
    # A calendar app repeated the answer on record: only its own fields changed, nobody emailed.
    UNCHANGED = "unchanged"


@dataclass
class Answer:
    """What an attendee tells us, already validated for shape by a form."""

    name: str
    email: str
    organization: str
    attending: bool
    language: str = "en"
    guests: int = 0
    job_title: str | None = None
    phone: str | None = None
    needs: str | None = None
    share_with_host: bool = False
    # When fewer seats are left than the party needs: wait for them all rather than be told.
    join_waitlist: bool = False
    # What the venue's security list asks, when the event has one (app/security_lists).
    security: security_lists.GivenDetails | None = None
    # The IANA zone their browser reported, for emails on their clock too; anything else
    # (a typo, a tampered form) is ignored.
    viewer_timezone: str | None = None
    # On a visit that crosses the border: what they cross with (app/events/crossings.py).
    crossing_document: str | None = None


@dataclass
class Outcome:
    rsvp: Rsvp
    created: bool
    previous_status: RsvpStatus | None
    promoted: list[Rsvp] = field(default_factory=list)
    result: Result = Result.RECORDED

    @property
    def updated(self) -> bool:
        return not self.created


def _lock(event: Event, rsvp: Rsvp | None = None) -> Event:
    """Take the event's lock (app/events/locking.py), then read `rsvp` again: while this answer
    waited, another may have changed it (a promotion from the waitlist, a cancellation), and a
    decision on its old status could oversell."""
    event = lock_event(event)
    if rsvp is not None and sa_inspect(rsvp).persistent:
        db.session.refresh(rsvp)
    return event


def closed_reason(event: Event, now: datetime) -> ClosedReason | None:
    """Why the event takes no answers now, or None if it does."""
    if event.status is EventStatus.CANCELLED:
        return ClosedReason.CANCELLED
    if event.status is not EventStatus.PUBLISHED:
        return ClosedReason.NOT_PUBLISHED
    if now >= event.starts_at:
        return ClosedReason.STARTED
    if now >= event.rsvps_close_at:
        return ClosedReason.DEADLINE_PASSED
    return None


def _set_status(rsvp: Rsvp, status: RsvpStatus, now: datetime) -> None:
    """The one way an RSVP's status changes: a place in line comes and goes with the waitlist."""
    if status is RsvpStatus.WAITLISTED and rsvp.status is not RsvpStatus.WAITLISTED:
        rsvp.waitlisted_at = _end_of_line(rsvp.event, now)
    elif status is not RsvpStatus.WAITLISTED:
        rsvp.waitlisted_at = None
    rsvp.status = status


def _end_of_line(event: Event, now: datetime) -> datetime:
    """The stamp that puts a newcomer last on the waitlist.

    Usually `now`; but an answer stamped earlier can take the event's lock after a later one,
    and must not then cut in front of it (whose email already gave its place in line). Called
    under the lock, so places follow the order answers take it.
    """
    last = db.session.scalar(
        db.select(func.max(Rsvp.waitlisted_at)).where(
            Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED
        )
    )
    if last is None or now > last:
        return now
    return last + timedelta(microseconds=1)


def _place(event: Event, rsvp: Rsvp, attending: bool, guests: int, now: datetime) -> None:
    """Decide the RSVP's status for its new answer, under the event lock."""
    if not attending:
        rsvp.guests = guests
        _set_status(rsvp, RsvpStatus.DECLINED, now)
        return
    if event.capacity is None:
        rsvp.guests = guests
        _set_status(rsvp, RsvpStatus.CONFIRMED, now)
        return
    db.session.flush()
    held = rsvp.seats if rsvp.status is RsvpStatus.CONFIRMED else 0
    free = event.capacity - seats_taken(event) + held
    wanted = 1 + guests
    if rsvp.status is RsvpStatus.CONFIRMED and wanted > free:
        # Keep their seat rather than silently moving a confirmed attendee to the waitlist.
        raise NotEnoughSeats(max(free - 1, 0))
    rsvp.guests = guests
    if rsvp.status is RsvpStatus.WAITLISTED:
        return  # keeps its place in line; promote_waitlist() seats it if it now fits
    _set_status(rsvp, RsvpStatus.CONFIRMED if wanted <= free else RsvpStatus.WAITLISTED, now)


def new_rsvp(event: Event, email: str) -> Rsvp:
    """A new RSVP for `email`, added to the session: the one place an RSVP is made, with the
    key that keeps it one per person and event. It holds no seat until the caller gives it a
    status (`_place`, `admit`)."""
    address = email.strip()
    rsvp = Rsvp(
        event=event, email=address, email_key=email_key(address), status=RsvpStatus.DECLINED
    )
    db.session.add(rsvp)
    return rsvp


def admit(rsvp: Rsvp, now: datetime) -> None:
    """Confirm someone let in at the door, whatever they answered and even past capacity:
    they are standing there, so the seat is theirs. Call with the event locked."""
    _set_status(rsvp, RsvpStatus.CONFIRMED, now)


def promote_waitlist(event: Event, now: datetime, *, actor: User | None = None) -> list[Rsvp]:
    """Seat waitlisted attendees, in arrival order, while seats remain.

    A party too large for the seats left keeps its place while smaller ones behind it are
    seated. Call with the event locked; the caller emails those promoted. Seats given because
    of an organizer's change are logged for that `actor`.
    """
    if event.status is not EventStatus.PUBLISHED or now >= event.ends_at:
        return []  # an event that is over has no seats left to give
    db.session.flush()
    waiting = db.session.scalars(
        db.select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .order_by(Rsvp.waitlisted_at, Rsvp.id)
    ).all()
    free = None if event.capacity is None else event.capacity - seats_taken(event)
    promoted = []
    with audit.watching(actor) as watch:
        for rsvp in waiting:
            if free is not None and rsvp.seats > free:
                continue
            watch.add(rsvp)
            _set_status(rsvp, RsvpStatus.CONFIRMED, now)
            if free is not None:
                free -= rsvp.seats
            promoted.append(rsvp)
        db.session.flush()
    return promoted


def fill_free_seats(
    event: Event, now: datetime, answering: Rsvp | None = None, *, actor: User | None = None
) -> list[Rsvp]:
    """Promote from the waitlist and email each person seated (logged for `actor`, if any).

    `answering` is the RSVP whose own change freed or fit the seat: its confirmation already
    says so, so it gets no separate promotion email and is not returned.
    """
    promoted = [r for r in promote_waitlist(event, now, actor=actor) if r is not answering]
    for rsvp in promoted:
        notifications.queue_promoted(rsvp)
    return promoted


def _check_open(event: Event, now: datetime, guests: int, by_organizer: bool = False) -> None:
    reason = closed_reason(event, now)
    # Organizers take late answers (a phone call after the deadline, a correction after the
    # event); only a cancelled event takes none.
    if reason is not None and not (by_organizer and reason is not ClosedReason.CANCELLED):
        raise RsvpsClosed(reason)
    if guests > event.max_guests:
        raise TooManyGuests(event.max_guests)


def check_invitation(event: Event, invitation: Invitation | None) -> None:
    """Raise NotInvited unless `invitation` lets its holder answer for `event`: a public event
    needs none; an invite-only one needs a live invitation to that very event."""
    if invitation is not None and (invitation.event_id != event.id or invitation.is_revoked):
        raise NotInvited()
    if event.visibility is Visibility.INVITE_ONLY and invitation is None:
        raise NotInvited()


def _check_party_fits(event: Event, answer: Answer) -> None:
    """A party larger than the seats left, while some remain, is asked before it is waitlisted.

    Decided before looking the address up, so the reply cannot tell whether it has answered.
    """
    if not answer.attending or answer.join_waitlist or event.capacity is None:
        return
    free = event.capacity - seats_taken(event)
    wanted = 1 + answer.guests
    if 0 < free < wanted:
        raise PartyTooLarge(free, wanted)


def submit_answer(
    event: Event, answer: Answer, now: datetime, invitation: Invitation | None = None
) -> Outcome:
    """Record an answer from a form: the public one, or an invitee's.

    A new address gets its RSVP. An address that already answered (in any letter case) is
    changed only through its invitation, which was emailed to it; anyone else posting it
    changes nothing, and the owner is emailed their personal link instead (LINK_SENT).
    An invitation pins the address: the answer is the invitee's, whatever the form said.
    """
    check_invitation(event, invitation)
    if invitation is not None:
        answer = replace(answer, email=invitation.email)  # a copy: the caller's stays as typed
    event = lock_event(event)
    _check_open(event, now, answer.guests if answer.attending else 0)
    if answer.attending:  # before the lookup, like every refusal: the reply reveals nothing
        security_lists.check_answer_details(event, answer.security, now, answer.organization)
    rsvp = find_rsvp(event, answer.email)
    if invitation is None:
        _check_party_fits(event, answer)  # for every address alike: the reply reveals nothing
        if rsvp is not None:
            send_personal_link(rsvp, now, notifications.LinkReason.ALREADY_ANSWERED)
            return Outcome(rsvp, False, rsvp.status, result=Result.LINK_SENT)
    elif rsvp is None or not rsvp.status.is_attending:
        _check_party_fits(event, answer)  # those already attending keep their seat or place
    created = rsvp is None
    previous = None if created else rsvp.status
    if rsvp is None:
        rsvp = new_rsvp(event, answer.email)
    rsvp.name = answer.name
    rsvp.organization = answer.organization
    rsvp.job_title = answer.job_title
    rsvp.phone = answer.phone
    rsvp.language = answer.language
    rsvp.needs = answer.needs
    rsvp.share_with_host = answer.share_with_host
    rsvp.crossing_document = check_crossing_document(answer.crossing_document)
    # A form sent without JavaScript says nothing of the zone: the one on record stays.
    rsvp.viewer_timezone = browser_zone(answer.viewer_timezone) or rsvp.viewer_timezone
    rsvp.calendar_partstat = None  # a "maybe" from the calendar is replaced by this answer
    if answer.attending:
        security_lists.take_details(rsvp, answer.security, now)
    return _finish(event, rsvp, answer.attending, answer.guests, now, created, previous)


def send_personal_link(rsvp: Rsvp, now: datetime, reason: notifications.LinkReason) -> bool:
    """Email the RSVP's personal link to its own address, unless one went out lately.

    Returns whether an email was queued. Either way the caller says the same to whoever asked.
    """
    recent = db.session.scalar(
        db.select(OutboxMessage.id)
        .where(
            OutboxMessage.rsvp_id == rsvp.id,
            OutboxMessage.kind.in_(notifications.LINK_KINDS),
            OutboxMessage.created_at > now - LINK_EMAIL_INTERVAL,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    notifications.queue_personal_link(rsvp, reason)
    return True


def resend_link(event: Event, email: str, now: datetime) -> None:
    """The "lost your link?" form: email the address its link if it answered for `event`.

    Nothing is returned: the page says the same whether or not the address has answered.
    """
    rsvp = find_rsvp(event, email)
    if rsvp is not None:
        send_personal_link(rsvp, now, notifications.LinkReason.ASKED)


def change_answer(
    rsvp: Rsvp,
    now: datetime,
    *,
    attending: bool,
    guests: int,
    language: str,
    needs: str | None,
    by_organizer: bool = False,
    notify: bool = True,
    actor: User | None = None,
    details: security_lists.GivenDetails | None = None,
    crossing_document: str | EllipsisType | None = ...,
) -> Outcome:
    """A change of response, guests, language or needs: from the manage link, or by an
    organizer on the attendee's behalf (who may do so after RSVPs close, and may choose not to
    email the attendee about it). The organizer's change is logged for `actor`, field by
    field, and so is any seat it frees for the waitlist. `details` are the venue's security
    list's, for someone attending who has none on record yet. `crossing_document` left out
    (`...`) keeps the one on record: a form that doesn't ask must not erase it."""
    event = _lock(rsvp.event, rsvp)
    _check_open(event, now, guests if attending else 0, by_organizer)
    watch = audit.Watch(actor, rsvp)
    previous = rsvp.status
    rsvp.language = language
    rsvp.needs = needs
    if crossing_document is not ...:
        rsvp.crossing_document = check_crossing_document(crossing_document)
    rsvp.calendar_partstat = None  # a "maybe" from the calendar is replaced by this answer
    if attending:
        security_lists.take_details(rsvp, details, now)
    return _finish(event, rsvp, attending, guests, now, False, previous, notify, watch)


def cancel_rsvp(rsvp: Rsvp, now: datetime) -> Outcome:
    """The attendee withdraws; their seat goes to the waitlist."""
    event = _lock(rsvp.event, rsvp)
    reason = closed_reason(event, now)
    if reason is not None:
        raise RsvpsClosed(reason)
    previous = rsvp.status
    _set_status(rsvp, RsvpStatus.CANCELLED, now)
    security_lists.forget_details(rsvp)
    notifications.queue_cancelled(rsvp, had_invite=previous is RsvpStatus.CONFIRMED)
    promoted = fill_free_seats(event, now)
    return Outcome(rsvp=rsvp, created=False, previous_status=previous, promoted=promoted)


def delete_rsvp_and_data(rsvp: Rsvp, now: datetime) -> list[Rsvp]:
    """The attendee deletes their RSVP and everything stored about them (the right of
    cancellation): the rows go, not just the answer, and their links with them. Allowed at any
    time, even after RSVPs close. Their seat goes to the waitlist (those seated are returned,
    and emailed); the audit log records that an attendee did it, not who."""
    event = _lock(rsvp.event, rsvp)
    rsvp_id = rsvp.id
    erase_attendee(rsvp)
    audit.log_attendee_action("deleted", "rsvp", event, rsvp_id)
    return fill_free_seats(event, now)


# A calendar app's PARTSTAT, and whether it attends. TENTATIVE does: a "maybe" without a seat
# could not get one back once the event fills, so it holds one (or a place in line) like a
# "yes", and organizers see it marked tentative (Rsvp.calendar_partstat).
CALENDAR_ATTENDING = {"ACCEPTED": True, "TENTATIVE": True, "DECLINED": False}
# The note typed in a calendar app is shown to organizers; a longer one is cut.
CALENDAR_COMMENT_LIMIT = 1000


def answer_from_calendar(
    event: Event,
    partstat: str,
    now: datetime,
    *,
    rsvp: Rsvp | None = None,
    invitation: Invitation | None = None,
    guests: int | None = None,
    comment: str | None = None,
    replied_at: datetime | None = None,
) -> Outcome:
    """An answer from the person's calendar app (app/inbound): to their RSVP, or through their
    invitation as its link would answer (it pins the address, and makes the RSVP if none).

    ACCEPTED and TENTATIVE attend, with a seat or on the waitlist (a calendar cannot be asked
    whether a party would rather wait, so it waits); DECLINED does not, and its seat goes to the
    waitlist. Guests above the event's limit are cut to it; `guests` None or 0 keeps the RSVP's
    (Google sends 0 for everyone who never used its guest count). An answer the RSVP already
    has changes only the calendar fields and emails nobody (Result.UNCHANGED): a confirmation
    would carry a new invitation, and each "Yes" to it would bring another.

    The calendar fields are set before the confirmation is written, so that its invitation
    says TENTATIVE to a tentative attendee (app/ical.py).
    """
    if partstat not in CALENDAR_ATTENDING:
        raise ValueError(f"not an answer: PARTSTAT {partstat!r}")
    attending = CALENDAR_ATTENDING[partstat]
    if invitation is not None:
        check_invitation(event, invitation)
    event = _lock(event, rsvp)
    _check_open(event, now, 0)
    if rsvp is None and invitation is not None:
        rsvp = find_rsvp(event, invitation.email)  # looked up under the lock: one per address
    if rsvp is None and invitation is None:
        raise ValueError("a calendar answer needs an RSVP or an invitation")
    created = rsvp is None
    previous = None if created else rsvp.status
    kept = 0 if created else rsvp.guests  # 0 is Google's default: it keeps the web's guests
    guests = min(guests, event.max_guests) if guests else kept
    unchanged = not created and attending == rsvp.status.is_attending
    if unchanged and (not attending or guests == rsvp.guests):
        _record_calendar_answer(rsvp, partstat, comment, replied_at or now)
        db.session.flush()
        return Outcome(rsvp, False, previous, result=Result.UNCHANGED)
    if attending and guests > event.max_guests:
        raise TooManyGuests(event.max_guests)  # kept from before the limit was lowered
    if created:
        rsvp = new_rsvp(event, invitation.email)
        rsvp.name = (invitation.name or invitation.email)[:120]  # an invitation may have no name
        rsvp.organization = ""
        rsvp.language = invitation.language
    _record_calendar_answer(rsvp, partstat, comment, replied_at or now)
    return _finish(event, rsvp, attending, guests, now, created, previous)


def _record_calendar_answer(
    rsvp: Rsvp, partstat: str, comment: str | None, replied_at: datetime
) -> None:
    rsvp.calendar_partstat = partstat
    rsvp.calendar_comment = (comment or "").strip()[:CALENDAR_COMMENT_LIMIT] or None
    rsvp.calendar_replied_at = replied_at


def replace_links(rsvp: Rsvp) -> None:
    """Revoke every link to this RSVP (manage page, calendar feed, check-in code, the reply
    address of its calendar invitations, and the invitation it was made from) and email new
    ones to its address. They go by email, never onto the page, so that someone holding a
    leaked link cannot use it to take the new one."""
    revoke_tokens(rsvp)
    invitation = invitation_of(rsvp)
    if invitation is not None:
        revoke_tokens(invitation)  # its link and reply address answer for this RSVP too
    notifications.queue_new_links(rsvp)


def _finish(
    event: Event,
    rsvp: Rsvp,
    attending: bool,
    guests: int,
    now: datetime,
    created: bool,
    previous: RsvpStatus | None,
    notify: bool = True,
    watch: audit.Watch | None = None,
) -> Outcome:
    # Every way of answering meets here: a seat at a venue with a security list comes with
    # the details it asks, and someone not coming leaves none behind.
    if attending:
        security_lists.require_details(event, rsvp)
    else:
        security_lists.forget_details(rsvp)
    _place(event, rsvp, attending, guests if attending else 0, now)
    db.session.flush()
    if watch is not None:
        watch.log()  # the answer's own change first, then the seats it freed
    actor = watch.actor if watch is not None else None
    promoted = fill_free_seats(event, now, answering=rsvp, actor=actor)
    if notify:
        notifications.queue_answer_recorded(rsvp, previous=previous)
    return Outcome(rsvp=rsvp, created=created, previous_status=previous, promoted=promoted)

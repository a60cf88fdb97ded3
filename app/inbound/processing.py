"""Applying what came back by mail: calendar apps' answers to our invitations, and bounces.

The receivers store each message first (app/inbound/receiving.py), then call
`process_received()`, which applies every stored message in a transaction of its own. Whatever
happens, a message leaves RECEIVED: APPLIED, IGNORED (deliberately changed nothing, with a
reason) or UNAPPLIED (could not be applied: an organizer reads it and may `apply_again` or
`dismiss` it). It is never deleted.

Whose answer it is comes from the address it was sent to: its token names the RSVP or the
invitation. The ATTENDEE written in the answer may be an alias or in other letters (Outlook),
so it only adds a note, with one exception: a decline that neither names the addressee nor
comes from their address is likely someone else's (an invitation forwarded in Outlook keeps
the original ORGANIZER, so the forwardee's "No" comes to the original attendee's address) and
waits for an organizer rather than cancel the attendee's seat. Every change goes through the
RSVP services under the event's lock, exactly as an answer on the web does, so a reply, a web
answer and the mail worker never oversell seats, and the person gets the usual email in their
language.

Decisions:

- TENTATIVE attends: a "maybe" that held no seat could not get one back once the event fills.
  It takes a seat (or a place on the waitlist) and is stored as `calendar_partstat` TENTATIVE,
  so organizers see "tentative" and later invitations say so to the person's calendar.
- Guests come from Google's X-NUM-GUESTS. More than the event allows are cut to its limit, and
  the message's detail says so: the person is seated rather than refused. 0 (Google's default)
  never removes guests given on the web.
- An answer the RSVP already has (a "Yes" to the invitation a "yes" on the web sent) changes
  only the calendar fields and emails nobody; otherwise every "Yes" would bring back an email.
- Duplicates and answers overtaken by later ones: each answer's UID, SEQUENCE, DTSTAMP and
  PARTSTAT are stored on its message when it is first read, and a new one is compared in SQL
  with the APPLIED answers of the same RSVP by the order a calendar gives its own answers
  (RFC 5546 §2.1.5), never by parsing them again under the event's lock. This also catches
  the same answer received twice (SMTP and IMAP) or resent by Outlook under a new Message-ID.
  Without a DTSTAMP (which RFC 5545 requires) only the same SEQUENCE and PARTSTAT is the same
  answer.
- An answer older than the person's invitation (its SEQUENCE below the event's plus the RSVP's
  offset, app/ical.py) was overtaken by a change or a cancellation we sent: ignored.
- A proposal of a new time (COUNTER) changes nothing: the person is emailed their personal link.
- A visit's stops each have a calendar entry, UID `<event.uid>-stop-<id>` (app/ical.py), and an
  answer to one is an answer about the visit. From someone with a seat or a waitlist place only
  an Accept is taken, and it changes nothing but the calendar fields (not the guests: they are
  for the whole visit). Their Decline or Maybe of one stop is IGNORED (`single_stop`) rather
  than giving up the whole visit, until attendees can choose their stops. From anyone else (an
  invitee, whose invitation is the first stop's entry) it is their answer to the visit.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.audit import services as audit
from app.db_types import utcnow
from app.events.locking import lock_event
from app.events.models import Event
from app.extensions import db
from app.ical import is_entry_uid, stop_id_of_uid
from app.inbound import bounces
from app.inbound.itip import CalendarReply, NotACalendarReply, parse_reply
from app.inbound.models import InboundMessage, InboundStatus
from app.inbound.notifications import queue_counter_reply
from app.invitations.models import Invitation
from app.invitations.queries import answer_of, invitation_of
from app.mail.models import OutboxMessage
from app.rsvps.errors import (
    ClosedReason,
    NotEnoughSeats,
    NotInvited,
    RsvpError,
    RsvpsClosed,
    TooManyGuests,
)
from app.rsvps.models import Rsvp, RsvpStatus
from app.rsvps.queries import email_key
from app.rsvps.services import CALENDAR_ATTENDING, Result, answer_from_calendar, closed_reason

if TYPE_CHECKING:
    from app.accounts.models import User

log = logging.getLogger(__name__)

# Tries before a message still RECEIVED (its worker killed mid-way, the database away) is
# given up on and left to an organizer. Concurrent workers may count one try twice.
MAX_ATTEMPTS = 5
DETAIL_LIMIT = 4000


class Reason(enum.StrEnum):
    """Why a message was ignored or not applied: the organizer page says each in words."""

    # UNAPPLIED: an organizer should read the message.
    NO_CALENDAR = "no_calendar"  # a person's typed reply, or a client we cannot read
    UNREADABLE_MESSAGE = "unreadable_message"  # headers or MIME too broken to read
    NO_METHOD = "no_method"  # a calendar file that is not an iTIP message
    UNSUPPORTED_METHOD = "unsupported_method"  # not REPLY or COUNTER
    UNREADABLE_CALENDAR = "unreadable_calendar"
    UNREADABLE_TNEF = "unreadable_tnef"
    TNEF_WITHOUT_CALENDAR = "tnef_without_calendar"
    NOT_ENOUGH_SEATS = "not_enough_seats"  # more guests than the seats left
    TOO_MANY_GUESTS = "too_many_guests"
    OTHER_PERSON = "other_person"  # a decline from someone else's calendar (a forward?)
    REFUSED = "refused"  # another rule of the RSVP services
    ERROR = "error"  # a bug: see the log
    GAVE_UP = "too_many_attempts"
    # IGNORED: nothing to do.
    AUTO_REPLY = "auto_reply"  # out of office and the like
    ADDRESSEE_GONE = "addressee_gone"  # its RSVP, invitation or sent message was deleted
    WRONG_EVENT = "wrong_event"  # another event's UID
    STALE = "stale_sequence"  # an answer to an invitation that was since replaced
    SUPERSEDED = "superseded"  # a later answer from the same calendar was applied first
    DUPLICATE = "duplicate"
    COUNTER = "counter_proposal"  # the person was emailed their personal link
    UNSUPPORTED_PARTSTAT = "unsupported_partstat"  # NEEDS-ACTION, DELEGATED …
    SINGLE_STOP = "single_stop"  # a "no" or "maybe" to one stop of a visit they attend
    EVENT_CANCELLED = "event_cancelled"
    EVENT_STARTED = "event_started"  # started or over
    RSVPS_CLOSED = "rsvps_closed"  # past the RSVP deadline
    NOT_PUBLISHED = "not_published"
    NOT_INVITED = "not_invited"  # the invitation was revoked
    NOT_A_BOUNCE = "not_a_bounce"  # mail to a bounce address that is no delivery report
    BOUNCE_DELAYED = "bounce_delayed"
    BOUNCE_NOT_FAILED = "bounce_not_failed"  # a report of delivery, relay …
    BOUNCE_OTHER_RECIPIENT = "bounce_other_recipient"  # a failure for another address only


_IGNORED_NON_REPLIES = frozenset({Reason.AUTO_REPLY})

_CLOSED = {
    ClosedReason.CANCELLED: Reason.EVENT_CANCELLED,
    ClosedReason.STARTED: Reason.EVENT_STARTED,
    ClosedReason.DEADLINE_PASSED: Reason.RSVPS_CLOSED,
    ClosedReason.NOT_PUBLISHED: Reason.NOT_PUBLISHED,
}

# What organizers may act on again.
ACTIONABLE = (InboundStatus.UNAPPLIED, InboundStatus.IGNORED)


class InboundError(Exception):
    """An organizer's action on a message cannot be done; the view says so."""


class NotActionable(InboundError):
    """The message was applied or dismissed meanwhile (or is still waiting to be)."""

    def __init__(self, status: InboundStatus):
        super().__init__(status.value)
        self.status = status


@dataclass(frozen=True)
class Verdict:
    status: InboundStatus
    reason: str | None
    detail: str


def _applied(detail: str) -> Verdict:
    return Verdict(InboundStatus.APPLIED, None, detail)


def _ignored(reason: Reason, detail: str) -> Verdict:
    return Verdict(InboundStatus.IGNORED, reason, detail)


def _unapplied(reason: str, detail: str) -> Verdict:
    return Verdict(InboundStatus.UNAPPLIED, reason, detail)


# Taking messages in turn


def process_received(now: datetime | None = None, limit: int = 100) -> int:
    """Apply up to `limit` RECEIVED messages, oldest first, each in a transaction of its own
    (it commits: call it with nothing pending). Returns how many it handled; a message another
    worker is applying is left to it.

    A failure rolls back that message's changes only and records it UNAPPLIED with the reason;
    a database that cannot be reached leaves it RECEIVED for the next pass, MAX_ATTEMPTS times.
    """
    ids = db.session.scalars(
        db.select(InboundMessage.id)
        .where(InboundMessage.status == InboundStatus.RECEIVED)
        .order_by(InboundMessage.received_at, InboundMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # no read transaction held between messages
    return sum(1 for message_id in ids if _process_one(message_id, now or utcnow()))


def _process_one(message_id: int, now: datetime) -> bool:
    # The try is counted in a commit of its own: a message that kills its worker every time
    # (rather than raising) is given up on, not retried forever.
    try:
        counted = _update_received(message_id, attempts=InboundMessage.attempts + 1)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("inbound message %s: could not count the attempt", message_id)
        return False
    if not counted:
        return False
    try:
        # Writing the row again in the applying transaction makes this worker its only one:
        # another waits for the commit, then finds it no longer RECEIVED.
        if not _update_received(message_id, handled_at=now):
            db.session.rollback()
            return False
        message = db.session.get(InboundMessage, message_id, populate_existing=True)
        if message.attempts > MAX_ATTEMPTS:
            verdict = _unapplied(Reason.GAVE_UP, f"given up after {MAX_ATTEMPTS} attempts")
        else:
            verdict = _apply_safely(message, now)
        _record(message, verdict, now)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("inbound message %s could not be applied", message_id)
        if isinstance(error, OperationalError):
            return False  # the database, not the message: the next pass tries again
        return _record_failure(message_id, error, now)
    log.info("inbound message %s: %s %s", message_id, verdict.status, verdict.reason or "")
    return True


def _update_received(message_id: int, **values) -> bool:
    """Update the message if it is still RECEIVED; whether it was."""
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id, InboundMessage.status == InboundStatus.RECEIVED)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _record_failure(message_id: int, error: Exception, now: datetime) -> bool:
    try:
        recorded = _update_received(
            message_id,
            status=InboundStatus.UNAPPLIED,
            reason=Reason.ERROR.value,
            detail=_describe(error),
            handled_at=now,
        )
        db.session.commit()
        return recorded
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("inbound message %s: could not record the failure", message_id)
        return False


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:DETAIL_LIMIT]


def _record(message: InboundMessage, verdict: Verdict, now: datetime) -> None:
    message.status = verdict.status
    message.reason = verdict.reason
    message.detail = verdict.detail[:DETAIL_LIMIT]
    message.handled_at = now


def _apply_safely(message: InboundMessage, now: datetime, *, by_organizer: bool = False) -> Verdict:
    """Apply the message in a savepoint: whatever stops it undoes its changes, and says why."""
    try:
        with db.session.begin_nested():
            return _apply(message, now, by_organizer=by_organizer)
    except NotACalendarReply as error:
        status = (
            InboundStatus.IGNORED
            if error.reason in _IGNORED_NON_REPLIES
            else InboundStatus.UNAPPLIED
        )
        return Verdict(status, error.reason, error.detail)
    except RsvpError as error:
        return _refused(error)
    except SQLAlchemyError:
        raise  # the transaction itself is in doubt: the caller rolls it back
    except Exception as error:
        log.exception("inbound message %s could not be applied", message.id)
        return _unapplied(Reason.ERROR, _describe(error))


def _refused(error: RsvpError) -> Verdict:
    """An RSVP rule said no: ignored when nothing could change that, otherwise for an
    organizer (who may add seats, say, and apply it again)."""
    if isinstance(error, RsvpsClosed):
        return _ignored(_CLOSED[error.reason], f"RSVPs are closed: {error.reason.value}")
    if isinstance(error, NotInvited):
        return _ignored(Reason.NOT_INVITED, "the invitation was revoked")
    if isinstance(error, NotEnoughSeats):
        return _unapplied(
            Reason.NOT_ENOUGH_SEATS,
            f"asked for more guests than the seats left ({error.seats_left} guests would fit); "
            "the answer on record is unchanged",
        )
    if isinstance(error, TooManyGuests):
        return _unapplied(Reason.TOO_MANY_GUESTS, f"the event allows {error.limit} guests")
    return _unapplied(Reason.REFUSED, str(error))


# Applying one message


def _apply(message: InboundMessage, now: datetime, *, by_organizer: bool) -> Verdict:
    """`by_organizer`: an organizer chose to apply it, so a decline from another address
    counts as the addressee's."""
    if message.outbox_message_id is not None:
        return _apply_bounce(message, now)
    rsvp = db.session.get(Rsvp, message.rsvp_id) if message.rsvp_id else None
    invitation = None
    if message.invitation_id is not None:
        invitation = db.session.get(Invitation, message.invitation_id)
    if rsvp is None and invitation is not None:
        rsvp = answer_of(invitation)  # the invitee answered since: their RSVP is the answer
    person = rsvp or invitation
    if person is None:
        return _ignored(Reason.ADDRESSEE_GONE, "the RSVP or invitation it answers was deleted")
    reply = parse_reply(message.raw)
    _remember(message, reply)
    # Under the event's lock from here: answers for the same person are compared, and
    # applied, one at a time.
    event = lock_event(person.event)
    if rsvp is not None:
        message.rsvp_id = rsvp.id
    refusal = _check_reply(message, reply, event, rsvp, now)
    if refusal is not None:
        return refusal
    notes = _notes(reply, person, event)
    if reply.method == "COUNTER":
        emailed = queue_counter_reply(person, now)
        said = [
            "Proposed a new time; nothing changed.",
            "Emailed their personal link." if emailed else "Their link was emailed lately.",
            *([f'Their note: "{reply.comment}"'] if reply.comment else []),
        ]
        return _ignored(Reason.COUNTER, " ".join([*said, *notes]))
    if reply.partstat not in CALENDAR_ATTENDING:
        return _ignored(Reason.UNSUPPORTED_PARTSTAT, f"PARTSTAT {reply.partstat}")
    if reply.partstat == "DECLINED" and not by_organizer and not _from_addressee(reply, person):
        return _unapplied(
            Reason.OTHER_PERSON,
            f"A decline that names {reply.attendee_email}, from "
            f"{reply.sender or 'no From address'}, sent to {person.email}'s reply address. "
            "Apply it only if it is their answer.",
        )
    one_stop = (
        stop_id_of_uid(event, reply.uid) is not None
        and rsvp is not None
        and rsvp.status.is_attending
    )
    if one_stop and reply.partstat != "ACCEPTED":
        return _ignored(
            Reason.SINGLE_STOP,
            f"{reply.partstat.capitalize()} for one stop of the visit ({reply.uid}): answers "
            "are for the whole visit, and the answer on record is unchanged.",
        )
    outcome = answer_from_calendar(
        event,
        reply.partstat,
        now,
        rsvp=rsvp,
        invitation=invitation,
        guests=None if one_stop else reply.guests,
        comment=reply.comment,
        replied_at=message.received_at,
    )
    message.rsvp_id = outcome.rsvp.id
    return _applied(" ".join([_summary(reply, outcome.rsvp, outcome.result), *notes]))


def _remember(message: InboundMessage, reply: CalendarReply) -> None:
    """Keep what orders this answer among the person's others (see _compare_with_earlier)."""
    message.reply_uid = _storable(reply.uid)
    message.reply_sequence = reply.sequence
    message.reply_dtstamp = _stamp_text(reply.dtstamp)
    message.reply_partstat = _storable(reply.partstat)[:20]


def _storable(text: str) -> str:
    """Text as a database keeps it: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "")


def _stamp_text(stamp: datetime | None) -> str | None:
    """A DTSTAMP as stored: UTC, ISO 8601 with microseconds, so that text order is time order."""
    if stamp is None:
        return None
    return stamp.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _from_addressee(reply: CalendarReply, person: Rsvp | Invitation) -> bool:
    """Whether the answer's ATTENDEE or its From header is the address of the person whose
    reply address it came to (their RSVP's, or their invitation's)."""
    addresses = {email_key(person.email)}
    if isinstance(person, Rsvp):
        invitation = invitation_of(person)
        if invitation is not None:
            addresses.add(email_key(invitation.email))
    return bool({email_key(reply.attendee_email), email_key(reply.sender)} & addresses)


def _check_reply(
    message: InboundMessage,
    reply: CalendarReply,
    event: Event,
    rsvp: Rsvp | None,
    now: datetime,
) -> Verdict | None:
    """Why the answer must change nothing, if it must."""
    if not is_entry_uid(event, reply.uid):
        return _ignored(Reason.WRONG_EVENT, f"UID {reply.uid} is not this event's ({event.uid})")
    closed = closed_reason(event, now)
    if closed is not None:
        return _ignored(_CLOSED[closed], f"RSVPs are closed: {closed.value}")
    current = last_sequence_sent(message, rsvp)
    if current is not None and reply.sequence < current:
        return _ignored(
            Reason.STALE,
            f"answers SEQUENCE {reply.sequence}; the person's invitation is at {current}",
        )
    if rsvp is not None:
        return _compare_with_earlier(message, reply, rsvp)
    return None


def last_sequence_sent(message: InboundMessage, rsvp: Rsvp | None) -> int | None:
    """The SEQUENCE of the newest invitation this person was emailed: their RSVP's, else their
    invitation's. An answer to an older one is stale; the event's own SEQUENCE may have moved
    on without a REQUEST to them (a change before they answered, an unpublish), and their
    answer to what they have must still count."""
    if rsvp is not None and rsvp.ical_sequence_sent is not None:
        return rsvp.ical_sequence_sent
    invitation = None
    if message.invitation_id is not None:
        invitation = db.session.get(Invitation, message.invitation_id)
    if invitation is None and rsvp is not None:
        invitation = invitation_of(rsvp)
    return invitation.ical_sequence_sent if invitation is not None else None


def _compare_with_earlier(
    message: InboundMessage, reply: CalendarReply, rsvp: Rsvp
) -> Verdict | None:
    """A duplicate of, or an answer older than, one already applied for this RSVP: compared
    with what _remember stored, by SEQUENCE then DTSTAMP."""
    stamp = _stamp_text(reply.dtstamp)
    applied = (
        db.select(InboundMessage.id)
        .where(
            InboundMessage.rsvp_id == rsvp.id,
            InboundMessage.status == InboundStatus.APPLIED,
            InboundMessage.id != message.id,
            InboundMessage.reply_uid == _storable(reply.uid),
        )
        .order_by(InboundMessage.id.desc())
        .limit(1)
    )
    same_sequence = InboundMessage.reply_sequence == reply.sequence
    if stamp is None:  # nothing orders them: only the same answer is the same one
        same = and_(
            same_sequence,
            InboundMessage.reply_dtstamp.is_(None),
            InboundMessage.reply_partstat == _storable(reply.partstat)[:20],
        )
        later = InboundMessage.reply_sequence > reply.sequence
    else:
        same = and_(same_sequence, InboundMessage.reply_dtstamp == stamp)
        later = (InboundMessage.reply_sequence > reply.sequence) | and_(
            same_sequence, InboundMessage.reply_dtstamp > stamp
        )
    duplicate = db.session.scalar(applied.where(same))
    if duplicate is not None:
        return _ignored(Reason.DUPLICATE, f"the same answer as message {duplicate}")
    newer = db.session.scalar(applied.where(later))
    if newer is not None:
        return _ignored(Reason.SUPERSEDED, f"message {newer} is a later answer")
    return None


def _notes(reply: CalendarReply, person: Rsvp | Invitation, event: Event) -> list[str]:
    notes = []
    if email_key(reply.attendee_email) != email_key(person.email):
        notes.append(
            f"The answer names {reply.attendee_email}; it was sent to {person.email}'s "
            "reply address, which decides whose answer it is."
        )
    if reply.method == "REPLY" and reply.guests and reply.guests > event.max_guests:
        notes.append(
            f"Asked for {reply.guests} guests; the event allows {event.max_guests}: "
            f"recorded with {event.max_guests}."
        )
    return notes


_STATUS_WORDS = {
    RsvpStatus.CONFIRMED: "confirmed",
    RsvpStatus.WAITLISTED: "on the waitlist",
    RsvpStatus.DECLINED: "not attending",
    RsvpStatus.CANCELLED: "cancelled",
}


def _summary(reply: CalendarReply, rsvp: Rsvp, result: Result) -> str:
    status = _STATUS_WORDS[rsvp.status]
    if rsvp.guests and rsvp.status.is_attending:
        status += f" with {rsvp.guests} guest{'s' if rsvp.guests != 1 else ''}"
    if result is Result.UNCHANGED:
        return f"{reply.partstat.capitalize()}: no change, already {status}."
    return f"{reply.partstat.capitalize()}: now {status}."


def _apply_bounce(message: InboundMessage, now: datetime) -> Verdict:
    outbox_message = db.session.get(OutboxMessage, message.outbox_message_id)
    result = bounces.apply_bounce(outbox_message, message.raw, now)
    if result.applied:
        return _applied(result.detail)
    return _ignored(Reason(result.reason), result.detail)


# Organizer actions


def apply_again(message: InboundMessage, now: datetime, actor: User) -> InboundMessage:
    """Apply an UNAPPLIED or IGNORED message again, by the rules of now (say, after adding
    seats): its status, reason and detail are replaced by the new outcome, which may be
    UNAPPLIED or IGNORED again. A decline from another address (OTHER_PERSON) counts as the
    addressee's: the organizer decided it is. Logged for `actor`. Flushes; the caller commits.

    Raises NotActionable if the message is no longer UNAPPLIED or IGNORED.
    """
    _take(message, attempts=InboundMessage.attempts + 1, handled_at=now)
    before = message.status
    verdict = _apply_safely(message, now, by_organizer=True)
    _record(message, verdict, now)
    _log(actor, "applied_again", message, before=before.value, reason=verdict.reason)
    db.session.flush()
    return message


def dismiss(message: InboundMessage, now: datetime, actor: User) -> InboundMessage:
    """Set an UNAPPLIED or IGNORED message aside (DISMISSED): the organizer has dealt with it.
    Its reason and detail stay. Logged for `actor`. Flushes; the caller commits.

    Raises NotActionable if the message is no longer UNAPPLIED or IGNORED.
    """
    before = message.status
    _take(message, status=InboundStatus.DISMISSED, handled_at=now)
    _log(actor, "dismissed", message, before=before.value, reason=message.reason)
    db.session.flush()
    return message


def _take(message: InboundMessage, **values) -> None:
    """Update the message if an organizer may still act on it, else raise NotActionable:
    two organizers (or two clicks) act on it once."""
    db.session.flush()
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message.id, InboundMessage.status.in_(ACTIONABLE))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(message)
    if result.rowcount != 1:
        raise NotActionable(message.status)


def _log(actor: User, action: str, message: InboundMessage, **details) -> None:
    # Named by its id, never by an address: the entry outlives the message, and erasing a
    # person's data finds entries by subject id (app/privacy/retention.py).
    audit.log_action(
        actor,
        action,
        "inbound_message",
        _event_of(message),
        label=f"message {message.id}",
        subject_id=message.id,
        message=message.id,
        status=message.status.value,
        **details,
    )


def _event_of(message: InboundMessage) -> Event | None:
    """The event a message is about; a bounce's is its email's attendee's, if any."""
    if message.event is not None:
        return message.event
    outbox_message = (
        db.session.get(OutboxMessage, message.outbox_message_id)
        if message.outbox_message_id
        else None
    )
    if outbox_message is not None and outbox_message.rsvp_id is not None:
        rsvp = db.session.get(Rsvp, outbox_message.rsvp_id)
        return rsvp.event if rsvp is not None else None
    return None

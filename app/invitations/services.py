"""Inviting people to an event, sending an invitation again, and revoking it.

Plain functions over models, callable without a request. They flush but never commit: the
caller owns the transaction, so invitations and their emails are stored together or not at all,
and the outbox delivers only what was committed.

Invitations go out the moment they are added, so the event must be published with RSVPs open:
a link to a draft would show the invitee a 404, and one to a closed event could not be answered.
Each operation logs what it changed for the organizer acting (`actor`), if one is given.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.audit import services as audit
from app.events.models import Event
from app.extensions import db
from app.invitations import notifications, queries
from app.invitations.models import Invitation
from app.invitations.parsing import Entry
from app.rsvps.errors import ClosedReason
from app.rsvps.queries import email_key
from app.rsvps.services import closed_reason
from app.tokens import revoke_tokens

if TYPE_CHECKING:
    from app.accounts.models import User


class InvitationError(Exception):
    """A rule stopped the sending; the view turns it into a message."""


class NotPublished(InvitationError):
    """The event is a draft: invite once it is published, so that links work when they arrive."""


class InvitationsClosed(InvitationError):
    """The event takes no RSVPs (cancelled, started, deadline passed): nothing to invite to."""

    def __init__(self, reason: ClosedReason):
        super().__init__(reason.value)
        self.reason = reason


class AddressAlreadyInvited(InvitationError):
    """The corrected address already has an invitation to the event (maybe this very one)."""

    def __init__(self, email: str):
        super().__init__(email)
        self.email = email


class AlreadyAnswered(InvitationError):
    """The invitee answered from the old address: their RSVP is under it, so moving the
    invitation would part it from their answer."""


class Result(enum.StrEnum):
    INVITED = "invited"
    ALREADY_INVITED = "already_invited"  # by an earlier list; not duplicated, not emailed
    REPEATED = "repeated"  # the same address earlier in this list
    INVALID = "invalid"


@dataclass(frozen=True)
class LineReport:
    entry: Entry
    result: Result
    invitation: Invitation | None = None
    first_number: int | None = None  # for REPEATED: the line that invited them


@dataclass(frozen=True)
class InviteReport:
    lines: list[LineReport]

    @property
    def counts(self) -> dict[str, int]:
        """Lines per result, by the result's value: `report.counts["invited"]`."""
        return {
            result.value: sum(1 for line in self.lines if line.result is result)
            for result in Result
        }

    @property
    def invalid_entries(self) -> list[Entry]:
        return [line.entry for line in self.lines if line.result is Result.INVALID]


def check_can_send(event: Event, now: datetime) -> None:
    """Raise unless invitations to `event` can go out now."""
    reason = closed_reason(event, now)
    if reason is ClosedReason.NOT_PUBLISHED:
        raise NotPublished()
    if reason is not None:
        raise InvitationsClosed(reason)


def invite(
    event: Event,
    entries: Iterable[Entry],
    language: str,
    now: datetime,
    *,
    actor: User | None = None,
) -> InviteReport:
    """Invite every new address in `entries` and email each one; report on every line.

    Addresses are compared case-insensitively (as RSVPs are). Someone already invited is left
    as they are, even if revoked: a pasted list should not undo an organizer's revocation, and
    "Resend" is there to restore them. `language` applies where the line does not set one.
    """
    check_can_send(event, now)
    existing = {
        invitation.email_key: invitation
        for invitation in db.session.scalars(
            db.select(Invitation).where(Invitation.event_id == event.id)
        )
    }
    first_seen: dict[str, int] = {}
    lines = []
    for entry in entries:
        if entry.invitee is None:
            lines.append(LineReport(entry, Result.INVALID))
            continue
        key = email_key(entry.invitee.email)
        if key in first_seen:
            lines.append(LineReport(entry, Result.REPEATED, first_number=first_seen[key]))
            continue
        first_seen[key] = entry.number
        if key in existing:
            lines.append(LineReport(entry, Result.ALREADY_INVITED, existing[key]))
            continue
        invitation = Invitation(
            event=event,
            name=entry.invitee.name,
            email=entry.invitee.email,
            email_key=key,
            language=entry.invitee.language or language,
            send_count=0,
        )
        db.session.add(invitation)
        _send(invitation, now)
        lines.append(LineReport(entry, Result.INVITED, invitation))
    db.session.flush()
    audit.log_created(actor, *(line.invitation for line in lines if line.result is Result.INVITED))
    return InviteReport(lines)


def resend(
    invitation: Invitation, language: str, now: datetime, *, actor: User | None = None
) -> bool:
    """Email the invitation again; a revoked one is restored with a new link.

    The link stays the same otherwise: the invitee may already be using the first email, and
    a resend usually means "it went to spam", not "it leaked" (revoke for that). Returns
    whether the link is new.
    """
    check_can_send(invitation.event, now)
    restored = invitation.is_revoked
    with audit.watching(actor, invitation):
        invitation.revoked_at = None  # revoke() already rotated the nonce: old links stay dead
        invitation.language = language
        _send(invitation, now, resent=True, new_link=restored)
    db.session.flush()
    return restored


def change_address(
    invitation: Invitation, email: str, now: datetime, *, actor: User | None = None
) -> None:
    """Send the invitation to a corrected address instead of the old one (which bounced, or
    was mistyped): every link sent to the old address stops working, its calendar reply
    address included, and the new address gets the invitation with fresh links.

    Refused for an address already invited to the event, and once the invitee has answered.
    """
    check_can_send(invitation.event, now)
    key = email_key(email)
    taken = db.session.scalar(
        db.select(Invitation.id).where(
            Invitation.event_id == invitation.event_id, Invitation.email_key == key
        )
    )
    if taken is not None:
        raise AddressAlreadyInvited(email)
    if queries.answer_of(invitation) is not None:
        raise AlreadyAnswered()
    with audit.watching(actor, invitation):
        invitation.email = email.strip()
        invitation.email_key = key
        revoke_tokens(invitation)
    resend(invitation, invitation.language, now, actor=actor)


def revoke(invitation: Invitation, now: datetime, *, actor: User | None = None) -> None:
    """The link stops working at once (404), quietly: the invitee is not emailed.

    An RSVP already made through it stays, and the organizer still sees it in the invitee list.
    """
    if invitation.is_revoked:
        return
    with audit.watching(actor, invitation):
        invitation.revoked_at = now
        revoke_tokens(invitation)
    db.session.flush()


def _send(
    invitation: Invitation, now: datetime, *, resent: bool = False, new_link: bool = False
) -> None:
    notifications.queue_invitation(
        invitation, invitation.language, resent=resent, new_link=new_link
    )
    invitation.send_count += 1
    invitation.last_sent_at = now

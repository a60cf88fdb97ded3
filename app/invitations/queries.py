"""Reading invitations for the organizer: who was invited and how each of them answered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func

from app.events.models import Event
from app.extensions import db
from app.invitations.models import Invitation
from app.rsvps.models import Rsvp


@dataclass(frozen=True)
class InviteeRow:
    invitation: Invitation
    rsvp: Rsvp | None  # their answer, matched on the folded email as RSVPs are

    @property
    def attending(self) -> bool:
        return self.rsvp is not None and self.rsvp.status.is_attending


@dataclass(frozen=True)
class InviteeSummary:
    invited: int  # links that work
    attending: int
    not_attending: int  # declined, or cancelled their RSVP
    awaiting: int  # invited and not answered yet
    revoked: int

    @classmethod
    def of(cls, rows: list[InviteeRow]) -> InviteeSummary:
        live = [row for row in rows if not row.invitation.is_revoked]
        return cls(
            invited=len(live),
            attending=sum(1 for row in live if row.attending),
            not_attending=sum(1 for row in live if row.rsvp and not row.attending),
            awaiting=sum(1 for row in live if row.rsvp is None),
            revoked=len(rows) - len(live),
        )


def invitee_rows(event: Event) -> list[InviteeRow]:
    """Every invitation of the event with its RSVP, if any, in one query, by name."""
    rows = db.session.execute(
        db.select(Invitation, Rsvp)
        .outerjoin(
            Rsvp,
            and_(Rsvp.event_id == Invitation.event_id, Rsvp.email_key == Invitation.email_key),
        )
        .where(Invitation.event_id == event.id)
        .order_by(
            # By name, or by address for those invited by address alone.
            func.lower(func.coalesce(func.nullif(Invitation.name, ""), Invitation.email)),
            Invitation.id,
        )
    ).all()
    return [InviteeRow(invitation, rsvp) for invitation, rsvp in rows]


def answer_of(invitation: Invitation) -> Rsvp | None:
    """The invitee's RSVP, matched on the folded email as in the list."""
    return db.session.scalar(
        db.select(Rsvp).where(
            Rsvp.event_id == invitation.event_id, Rsvp.email_key == invitation.email_key
        )
    )


def invitation_of(rsvp: Rsvp) -> Invitation | None:
    """The live invitation behind an RSVP, matched on the folded email; None for a public
    answer (or a revoked invitation)."""
    return db.session.scalar(
        db.select(Invitation).where(
            Invitation.event_id == rsvp.event_id,
            Invitation.email_key == rsvp.email_key,
            Invitation.revoked_at.is_(None),
        )
    )


def find_invitation(event: Event, invitation_id: int) -> Invitation | None:
    """The invitation with this id, only if it belongs to `event` (ids in URLs are guessable)."""
    return db.session.scalar(
        db.select(Invitation).where(Invitation.id == invitation_id, Invitation.event_id == event.id)
    )

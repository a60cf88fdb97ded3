"""Forgetting on schedule, as the privacy notice promises.

ID details are deleted SECURITY_DATA_DAYS after their event ends. Everything else that names an
attendee is anonymized RSVP_RETENTION_DAYS after it: the RSVP rows stay (status, guests,
check-in), so an old event's counts still add up, but nobody can be told from them. Mail we sent
and mail we received is deleted then too, and any mail older than that regardless of event.

Run daily by the mail worker and by `flask purge-personal-data`; every step only touches what is
still there to forget, so a second run changes nothing. An attendee who asks is forgotten at once
instead (`erase_attendee`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, delete, or_, select

from app.audit.models import AuditEntry
from app.events.models import Event, EventStatus
from app.extensions import db
from app.inbound.models import InboundMessage
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage, RejectedAddress
from app.rsvps.models import Rsvp
from app.rsvps.queries import email_key
from app.security_lists.models import SecurityDetails
from app.tokens import revoke_tokens

# What an anonymized attendee is called. Not translated: it is stored, and read by organizers
# in either language.
ANONYMIZED_NAME = "—"
# Under the reserved .invalid domain (RFC 2606): no mail is ever queued to it (app/mail/outbox.py).
ANONYMIZED_DOMAIN = "anonymized.invalid"
ANONYMIZED_SUFFIX = "@" + ANONYMIZED_DOMAIN
# Fields of RSVPs and invitations whose values the audit log keeps as [before, after]: the ones
# that name a person are dropped from old entries; status, guests and times stay.
PERSONAL_AUDIT_FIELDS = frozenset(
    {
        "name",
        "email",
        "organization",
        "job_title",
        "phone",
        "needs",
        "calendar_comment",
        "crossing_document",  # hints at a nationality
    }
)
# Audit entries whose label names a person ("Ana López <ana@…>", "message 4 from ana@…").
LABELLED_WITH_A_PERSON = ("rsvp", "invitation", "inbound_message")


@dataclass
class PurgeReport:
    """How many rows each step changed; all zero on a run with nothing left to forget."""

    security_details_deleted: int = 0
    rsvps_anonymized: int = 0
    invitations_anonymized: int = 0
    outbox_messages_deleted: int = 0
    inbound_messages_deleted: int = 0
    audit_entries_scrubbed: int = 0
    rejected_addresses_deleted: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def lines(self) -> list[str]:
        return [f"{f.name.replace('_', ' ')}: {getattr(self, f.name)}" for f in fields(self)]


def anonymized_address(record_id: int, kind: str = "") -> str:
    """A unique address that reaches nobody: one per RSVP (or unanswered invitation)."""
    prefix = f"anonymized-{kind}-" if kind else "anonymized-"
    return f"{prefix}{record_id}{ANONYMIZED_SUFFIX}"


def _events_ended_before(cutoff: datetime) -> Select:
    return select(Event.id).where(Event.ends_at < cutoff)


def purge_personal_data(as_of: datetime) -> PurgeReport:
    """Delete ID details and anonymize attendees whose events ended long enough before
    `as_of`, in the caller's transaction (flushed, not committed)."""
    config = current_app.config
    retention_cutoff = as_of - timedelta(days=config["RSVP_RETENTION_DAYS"])
    # Never keep ID details longer than the rest, whatever the two settings say.
    security_cutoff = max(as_of - timedelta(days=config["SECURITY_DATA_DAYS"]), retention_cutoff)
    old_events = _events_ended_before(retention_cutoff)
    old_rsvps = select(Rsvp.id).where(Rsvp.event_id.in_(old_events))
    old_invitations = select(Invitation.id).where(Invitation.event_id.in_(old_events))

    report = PurgeReport()
    report.security_details_deleted = _delete_security_details(security_cutoff)
    # Mail holds names, addresses and personal links in its bodies: deleted, not blanked. Any
    # mail that old goes too, whatever it concerns (invitations have no RSVP to follow).
    report.outbox_messages_deleted = _delete(
        OutboxMessage,
        or_(OutboxMessage.rsvp_id.in_(old_rsvps), OutboxMessage.created_at < retention_cutoff),
    )
    report.inbound_messages_deleted = _delete(
        InboundMessage,
        or_(
            InboundMessage.event_id.in_(old_events),
            InboundMessage.rsvp_id.in_(old_rsvps),
            InboundMessage.invitation_id.in_(old_invitations),
            InboundMessage.received_at < retention_cutoff,
        ),
    )
    report.rejected_addresses_deleted = _delete(
        RejectedAddress, RejectedAddress.rejected_at < retention_cutoff
    )
    rsvps = db.session.scalars(
        select(Rsvp).where(
            Rsvp.event_id.in_(old_events), ~Rsvp.email_key.endswith(ANONYMIZED_SUFFIX)
        )
    ).all()
    report.invitations_anonymized = _anonymize_invitations(old_events, rsvps)
    for rsvp in rsvps:
        anonymize_rsvp(rsvp)
    report.rsvps_anonymized = len(rsvps)
    report.audit_entries_scrubbed = _scrub_audit_entries(old_events, retention_cutoff)
    db.session.flush()
    return report


def _delete(model, condition) -> int:
    result = db.session.execute(
        delete(model).where(condition).execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def _delete_security_details(cutoff: datetime) -> int:
    """Deleted outright, not hidden: the encrypted value leaves the database (and, in time, its
    backups). A cancelled event's go at once, however far off its date was: no venue will
    ever need them."""
    finished = or_(Event.ends_at < cutoff, Event.status == EventStatus.CANCELLED)
    of_finished_events = select(Rsvp.id).where(Rsvp.event_id.in_(select(Event.id).where(finished)))
    return _delete(SecurityDetails, SecurityDetails.rsvp_id.in_(of_finished_events))


def anonymize_rsvp(rsvp: Rsvp) -> None:
    """Remove what names the attendee; keep what counts (status, guests, check-in, times).

    The address stays unique per event, as the database requires. Links die with the nonce.
    """
    address = anonymized_address(rsvp.id)
    rsvp.name = ANONYMIZED_NAME
    rsvp.email = address
    rsvp.email_key = email_key(address)
    rsvp.organization = ""
    rsvp.job_title = None
    rsvp.phone = None
    rsvp.needs = None
    rsvp.crossing_document = None
    rsvp.viewer_timezone = None  # where they were when they answered
    rsvp.calendar_comment = None
    revoke_tokens(rsvp)  # search_text follows on flush (app/rsvps/models.py)


def _anonymize_invitations(old_events: Select, rsvps: list[Rsvp]) -> int:
    """Invitations of old events, before their RSVPs change address: an invitation is matched
    to its RSVP by address, so it takes the same anonymized one and the invitee list of an old
    event still says who answered."""
    answered = {(rsvp.event_id, rsvp.email_key): rsvp for rsvp in rsvps}
    invitations = db.session.scalars(
        select(Invitation).where(
            Invitation.event_id.in_(old_events),
            ~Invitation.email_key.endswith(ANONYMIZED_SUFFIX),
        )
    ).all()
    for invitation in invitations:
        rsvp = answered.get((invitation.event_id, invitation.email_key))
        address = (
            anonymized_address(rsvp.id)
            if rsvp is not None
            else anonymized_address(invitation.id, "invitation")
        )
        invitation.name = ANONYMIZED_NAME
        invitation.email = address
        invitation.email_key = email_key(address)
        revoke_tokens(invitation)
    return len(invitations)


def _scrub(entry: AuditEntry) -> None:
    """An audit entry without the attendee's name, address or other personal values."""
    entry.label = ""
    changes = entry.changes or {}
    entry.changes = {k: v for k, v in changes.items() if k not in PERSONAL_AUDIT_FIELDS}


def _scrub_audit_entries(old_events: Select, cutoff: datetime) -> int:
    """Take attendees' names and addresses out of the audit log of old events (and of entries
    tied to no event, once as old): who did what, and when, stays."""
    of_old = or_(
        AuditEntry.event_id.in_(old_events),
        AuditEntry.event_id.is_(None) & (AuditEntry.at < cutoff),
    )
    labelled = db.session.scalars(
        select(AuditEntry).where(
            of_old, AuditEntry.subject.in_(LABELLED_WITH_A_PERSON), AuditEntry.label != ""
        )
    ).all()
    for entry in labelled:
        _scrub(entry)
    # An export's search may have been a name.
    exports = db.session.scalars(
        select(AuditEntry).where(of_old, AuditEntry.subject == "attendees")
    ).all()
    searched = [entry for entry in exports if (entry.changes or {}).get("search", [None, ""])[1]]
    for entry in searched:
        entry.changes = {**entry.changes, "search": [None, ""]}
    return len(labelled) + len(searched)


def erase_attendee(rsvp: Rsvp) -> None:
    """Everything that names one attendee, out of the database at their request (the right of
    cancellation): the RSVP with its ID details, the invitation it came from (revoked or
    not), the mail to and from them, and their name in the audit log. Call with the event
    locked; the caller gives the seat to the waitlist."""
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.event_id == rsvp.event_id, Invitation.email_key == rsvp.email_key
        )
    )
    # Pending mail must not go out, and sent mail holds their name and links.
    _delete(OutboxMessage, OutboxMessage.rsvp_id == rsvp.id)
    mine = [InboundMessage.rsvp_id == rsvp.id]
    subjects = [(AuditEntry.subject == "rsvp") & (AuditEntry.subject_id == rsvp.id)]
    if invitation is not None:
        mine.append(InboundMessage.invitation_id == invitation.id)
        subjects.append(
            (AuditEntry.subject == "invitation") & (AuditEntry.subject_id == invitation.id)
        )
    _delete(InboundMessage, or_(*mine))
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.event_id == rsvp.event_id, or_(*subjects))
    )
    for entry in entries:
        _scrub(entry)
    if invitation is not None:
        db.session.delete(invitation)
    db.session.delete(rsvp)  # its ID details go with it (ON DELETE CASCADE)
    db.session.flush()

"""Every model module, imported in one place so the metadata is complete for Alembic."""

from app.accounts.models import Role, SignInThrottle, User
from app.audit.models import AuditEntry
from app.events.models import (
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
    Organization,
    Venue,
    Visibility,
)
from app.invitations.models import Invitation
from app.mail.models import DeliveryAttempt, OutboxMessage, RejectedAddress, WorkerHeartbeat
from app.rsvps.models import Rsvp, RsvpStatus

__all__ = [
    "AuditEntry",
    "DeliveryAttempt",
    "Event",
    "EventKind",
    "EventOrganization",
    "EventStatus",
    "Invitation",
    "ItineraryStop",
    "Organization",
    "OutboxMessage",
    "RejectedAddress",
    "Role",
    "Rsvp",
    "RsvpStatus",
    "SignInThrottle",
    "User",
    "Venue",
    "Visibility",
    "WorkerHeartbeat",
]

"""Every model module, imported in one place so the metadata is complete for Alembic."""

from app.accounts.models import Role, SignInThrottle, User
from app.audit.models import AuditEntry
from app.database_faults import WriteProbe
from app.events.models import (
    BorderCrossing,
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
    Organization,
    Venue,
    Visibility,
)
from app.inbound.models import InboundMessage
from app.invitations.models import Invitation
from app.mail.models import DeliveryAttempt, OutboxMessage, RejectedAddress, WorkerHeartbeat
from app.privacy.models import PrivacyNotice
from app.rsvps.models import Rsvp, RsvpStatus
from app.security_lists.models import SecurityDetails, SecurityList

__all__ = [
    "AuditEntry",
    "BorderCrossing",
    "DeliveryAttempt",
    "Event",
    "EventKind",
    "EventOrganization",
    "EventStatus",
    "InboundMessage",
    "Invitation",
    "ItineraryStop",
    "Organization",
    "OutboxMessage",
    "PrivacyNotice",
    "RejectedAddress",
    "Role",
    "Rsvp",
    "RsvpStatus",
    "SecurityDetails",
    "SecurityList",
    "SignInThrottle",
    "User",
    "Venue",
    "Visibility",
    "WorkerHeartbeat",
    "WriteProbe",
]

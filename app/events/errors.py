"""Why a change to an event was refused. Services raise these; `app/events/labels.py` says
them to a person."""

from datetime import datetime

from app.events.models import EventStatus


class EventError(Exception):
    """A rule stopped the change; the view turns it into a message."""


class SlugTaken(EventError):
    def __init__(self, slug: str):
        super().__init__(f"slug {slug!r} is taken")
        self.slug = slug


class SlugLocked(EventError):
    """Links to the event are out in the world (see `slug_can_change`)."""


class WrongStatus(EventError):
    """The action does not apply to an event in this status (publishing a cancelled one…)."""

    def __init__(self, action: str, status: EventStatus):
        super().__init__(f"cannot {action} a {status.value} event")
        self.action = action
        self.status = status


class StopsNeedAVisit(EventError):
    """Only visits have an itinerary: stops can't be added to, or kept by, other kinds.

    `kept` says which: a visit with stops changing its kind, rather than a stop added to an
    event that is not a visit."""

    def __init__(self, kept: bool = False):
        super().__init__("stops are kept by a non-visit" if kept else "only visits have stops")
        self.kept = kept


class OrganizationInBothRoles(EventError):
    def __init__(self, name: str):
        super().__init__(f"{name} is both host and partner")
        self.name = name


class UnknownChoice(EventError):
    """A venue or organization id that does not exist (deleted, or a tampered form)."""


class OwnerRefused(EventError):
    """The account can't own events: a host account, or one that is deactivated."""


class LastOwner(EventError):
    """Removing this owner would leave the event to admins alone."""


class ZoneContradictsVenue(EventError):
    """The time zone chosen is not the venue's own: times would be read on the wrong clock."""

    def __init__(self, venue_zone: str, zone: str):
        super().__init__(f"the venue is in {venue_zone}, not {zone}")
        self.venue_zone = venue_zone
        self.zone = zone


class StopOutsideVisit(EventError):
    """A stop that starts before its visit starts, or ends after it ends."""

    def __init__(self, visit_starts_at: datetime, visit_ends_at: datetime, visit_zone: str):
        super().__init__("the stop is outside the visit's dates")
        self.visit_starts_at = visit_starts_at
        self.visit_ends_at = visit_ends_at
        self.visit_zone = visit_zone

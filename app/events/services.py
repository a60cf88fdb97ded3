"""Managing events: create, edit, publish, unpublish, cancel and duplicate.

Plain functions over models and values, callable without a request. They flush but never
commit, and raise `EventError`s that views turn into messages: the caller owns the transaction,
so a change, the notices it causes and its audit entries are stored together or not at all.
Each takes the organizer acting (`actor`, keyword-only) and logs what it changed for them;
without one (the CLI, the demo seed) nothing is logged.

Times arrive as UTC instants; turning what an organizer typed into them is app/timezones.py's job.
Next door: a visit's stops (app/events/itinerary.py), slugs (app/events/slugs.py), venues and
organizations found or created by name (app/events/directory.py), and what an edit changed and
how attendees hear of it (app/events/changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from app.audit import services as audit
from app.events import notifications, reminders
from app.events.changes import EventChanges, announce
from app.events.directory import NewVenue, choose_organizations, venue_and_zone
from app.events.errors import (
    OrganizationInBothRoles,
    StopsNeedAVisit,
    WrongStatus,
)
from app.events.itinerary import move_stops_along
from app.events.locking import lock_event
from app.events.models import (
    BorderCrossing,
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
    Organization,
    OrganizationRole,
    Visibility,
)
from app.events.slugs import SLUG_BASE_MAX, set_slug, unique_slug
from app.extensions import db
from app.rsvps.models import Rsvp
from app.rsvps.services import fill_free_seats
from app.timezones import to_local

if TYPE_CHECKING:
    from app.accounts.models import User


@dataclass
class EventDetails:
    """Everything an organizer sets on an event, already validated for shape by a form."""

    kind: EventKind
    title_en: str
    starts_at: datetime
    ends_at: datetime
    timezone: str | None  # None: the venue's (app/events/directory.py, venue_and_zone)
    title_es: str | None = None
    description_en: str = ""
    description_es: str | None = None
    venue_id: int | None = None
    new_venue: NewVenue | None = None  # wins over venue_id
    host_ids: list[int] = field(default_factory=list)
    new_hosts: list[str] = field(default_factory=list)  # names, found or created
    partner_ids: list[int] = field(default_factory=list)
    new_partners: list[str] = field(default_factory=list)
    capacity: int | None = None
    guest_limit: int = 0
    rsvp_deadline: datetime | None = None
    visibility: Visibility = Visibility.PUBLIC
    show_both_languages: bool = False
    slug: str | None = None  # None: made from the title (new event) or kept (edit)


def _link_organizations(
    event: Event, hosts: list[Organization], partners: list[Organization]
) -> None:
    """Make the event's hosts and partners these, reusing the rows that stay.

    Reusing rows (rather than replacing them) keeps the unique (event, organization)
    constraint satisfied within one flush.
    """
    both = {o.id for o in hosts} & {o.id for o in partners}
    if both:
        raise OrganizationInBothRoles(next(o.name for o in hosts if o.id in both))
    current = {link.organization_id: link for link in event.organizations}
    links = []
    for role, organizations in (
        (OrganizationRole.HOST, hosts),
        (OrganizationRole.PARTNER, partners),
    ):
        for organization in organizations:
            link = current.pop(organization.id, None) or EventOrganization(
                organization=organization
            )
            link.role = role
            links.append(link)
    for position, link in enumerate(links):
        link.position = position
    event.organizations = links


# What an edit may change; compared before and after to report what did.
_EDITABLE = (
    "kind",
    "title_en",
    "title_es",
    "description_en",
    "description_es",
    "starts_at",
    "ends_at",
    "timezone",
    "capacity",
    "guest_limit",
    "rsvp_deadline",
    "visibility",
    "show_both_languages",
    "slug",
)


def _snapshot(event: Event) -> dict[str, object]:
    values = {name: getattr(event, name) for name in _EDITABLE}
    # The relationship, not venue_id: the foreign key only follows it at the next flush.
    values["venue"] = event.venue.id if event.venue is not None else None
    values["hosts"] = [o.id for o in event.hosts]
    values["partners"] = [o.id for o in event.partners]
    return values


def _apply(event: Event, details: EventDetails) -> None:
    event.kind = details.kind
    event.title_en = details.title_en
    event.title_es = details.title_es
    event.description_en = details.description_en
    event.description_es = details.description_es
    event.starts_at = details.starts_at
    event.ends_at = details.ends_at
    event.capacity = details.capacity
    event.guest_limit = details.guest_limit
    event.rsvp_deadline = details.rsvp_deadline
    event.visibility = details.visibility
    event.show_both_languages = details.show_both_languages
    event.venue, event.timezone = venue_and_zone(
        details.venue_id, details.new_venue, details.timezone
    )
    hosts = choose_organizations(details.host_ids, details.new_hosts, event.hosts)
    partners = choose_organizations(details.partner_ids, details.new_partners, event.partners)
    _link_organizations(event, hosts, partners)


def _own(event: Event, actor: User | None) -> None:
    """Whoever creates an event (or a copy) owns it and can manage it from then on."""
    if actor is not None and not actor.is_host and actor not in event.owners:
        event.owners.append(actor)


def create_event(details: EventDetails, *, actor: User | None = None) -> Event:
    """A new draft event; nobody sees it until it is published."""
    event = Event(status=EventStatus.DRAFT, organizations=[], stops=[])
    _apply(event, details)
    set_slug(event, details.slug, details.title_en)
    _own(event, actor)
    db.session.add(event)
    db.session.flush()
    audit.log_created(actor, event)
    return event


def update_event(
    event: Event, details: EventDetails, now: datetime, *, actor: User | None = None
) -> EventChanges:
    """Apply an edit and return what changed.

    A new time or place bumps SEQUENCE and emails the attendees (an updated invitation for
    those with a seat); more capacity seats people from the waitlist.
    """
    if event.is_cancelled:
        raise WrongStatus("edit", event.status)
    if details.kind is not EventKind.VISIT and event.stops:
        raise StopsNeedAVisit(kept=True)
    event = lock_event(event)  # seats and the waitlist are decided under the event lock
    with audit.watching(actor, event, *event.stops):
        before = _snapshot(event)
        previous_venue = event.venue
        set_slug(event, details.slug, details.title_en)
        _apply(event, details)
        after = _snapshot(event)
        stops_moved = move_stops_along(
            event,
            to_local(event.starts_at, event.timezone)
            - to_local(before["starts_at"], before["timezone"]),
        )
        changes = EventChanges(
            fields={name for name in after if after[name] != before[name]},
            previous_starts_at=before["starts_at"],
            previous_ends_at=before["ends_at"],
            previous_timezone=before["timezone"],
            previous_venue=previous_venue,
            itinerary_changed=stops_moved,
        )
        db.session.flush()
        if changes.time_changed:
            reminders.rearm(event, now)
    if changes.affects_attendees:
        announce(event, changes, now)
    if _gained_seats(before["capacity"], event.capacity):
        changes.promoted = fill_free_seats(event, now, actor=actor)
    return changes


def _gained_seats(before: int | None, after: int | None) -> bool:
    if before is None:
        return False
    return after is None or after > before


def publish_event(event: Event, now: datetime, *, actor: User | None = None) -> list[Rsvp]:
    """Open a draft to the public (or to its invitees) and to RSVPs.

    Seats added while it was a draft go to the waitlist it kept; returns those seated.
    """
    if event.status is not EventStatus.DRAFT:
        raise WrongStatus("publish", event.status)
    event = lock_event(event)
    with audit.watching(actor, event):
        event.status = EventStatus.PUBLISHED
        event.sequence += 1
        db.session.flush()
    return fill_free_seats(event, now, actor=actor)


def unpublish_event(event: Event, *, actor: User | None = None) -> None:
    """Back to draft: hidden from the calendar and closed to RSVPs; answers are kept."""
    if event.status is not EventStatus.PUBLISHED:
        raise WrongStatus("unpublish", event.status)
    with audit.watching(actor, event):
        event.status = EventStatus.DRAFT
        event.sequence += 1
        db.session.flush()


def cancel_event(
    event: Event, now: datetime, note: str | None = None, *, actor: User | None = None
) -> int:
    """Cancel for good: calendars drop it (METHOD:CANCEL) and attendees and the waitlist are
    told, with the organizers' `note` if any. Returns how many were emailed."""
    if event.is_cancelled:
        raise WrongStatus("cancel", event.status)
    event = lock_event(event)  # no answer slips in between the count and the cancellation
    with audit.watching(actor, event):
        event.status = EventStatus.CANCELLED
        event.sequence += 1
        db.session.flush()
    if event.has_ended(now):
        return 0
    return notifications.queue_event_cancelled(event, note)


# Not copied: identity, state and history. Every other column is, so new fields copy too.
_NOT_COPIED = {
    "id",
    "slug",
    "uid",
    "status",
    "sequence",
    "reminder_sent_at",
    "created_at",
    "updated_at",
}


def _copy_columns(source, target, skip: set[str]) -> None:
    for column in source.__table__.columns:
        if column.key not in skip:
            setattr(target, column.key, getattr(source, column.key))


def _marked_copy(title: str | None, mark: str) -> str | None:
    if title is None:
        return None
    return f"{title[: 200 - len(mark)]}{mark}"


def duplicate_event(event: Event, *, actor: User | None = None) -> Event:
    """A draft copy with every field, host, partner, stop and owner (and whoever copied it
    among the owners); the organizer then sets dates.

    Board meetings are usually last month's meeting again. The copy is a new calendar entry:
    its own UID and slug, sequence 0, no RSVPs, no reminder sent.
    """
    copy = Event(status=EventStatus.DRAFT, organizations=[], stops=[])
    _copy_columns(event, copy, _NOT_COPIED)
    # The titles are data in each language, so each is marked in its own language.
    copy.title_en = _marked_copy(event.title_en, " (copy)")
    copy.title_es = _marked_copy(event.title_es, " (copia)")
    copy.slug = unique_slug(f"{event.slug[:SLUG_BASE_MAX]}-copy")
    for link in event.organizations:
        copy.organizations.append(
            EventOrganization(
                organization_id=link.organization_id, role=link.role, position=link.position
            )
        )
    for stop in event.stops:
        stop_copy = ItineraryStop()
        _copy_columns(stop, stop_copy, {"id", "event_id"})
        if stop.crossing_after is not None:  # the way to the next stop comes along
            stop_copy.crossing_after = BorderCrossing()
            _copy_columns(stop.crossing_after, stop_copy.crossing_after, {"id", "after_stop_id"})
        copy.stops.append(stop_copy)
    copy.owners = list(event.owners)
    _own(copy, actor)
    db.session.add(copy)
    db.session.flush()
    audit.log_created(actor, copy, *copy.stops)
    return copy

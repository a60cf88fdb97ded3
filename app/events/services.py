"""Managing events: create, edit, publish, duplicate, cancel, and a visit's itinerary.

Plain functions over models and values, callable without a request. They flush but never
commit, and raise `EventError`s that views turn into messages: the caller owns the transaction,
so a change and the notices it causes are stored together or not at all.

Times arrive as UTC instants; turning what an organizer typed into them is app/timezones.py's job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_

from app.events import notifications, reminders
from app.events.errors import (
    EventError,
    OrganizationInBothRoles,
    SlugLocked,
    SlugTaken,
    StopsNeedAVisit,
    UnknownChoice,
    WrongStatus,
)
from app.events.locking import lock_event
from app.events.models import (
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    ItineraryStop,
    Organization,
    OrganizationRole,
    Venue,
    Visibility,
)
from app.extensions import db
from app.rsvps.models import Rsvp
from app.rsvps.services import fill_free_seats
from app.timezones import NonexistentLocalTime, to_local, to_utc

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 120
# Words the organizer's URLs use beside slugs (/organizer/events/new), so never an event's slug.
__all__ = [
    "EventError",
    "OrganizationInBothRoles",
    "SlugLocked",
    "SlugTaken",
    "StopsNeedAVisit",
    "UnknownChoice",
    "WrongStatus",
]

RESERVED_SLUGS = frozenset({"new"})
_SLUG_BASE_MAX = 80  # leaves room for "-copy-12" and the like


@dataclass
class NewVenue:
    name: str
    city: str
    country: str  # "US" or "MX"
    address: str = ""
    region: str = ""


@dataclass
class EventDetails:
    """Everything an organizer sets on an event, already validated for shape by a form."""

    kind: EventKind
    title_en: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
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


@dataclass
class StopDetails:
    title_en: str
    starts_at: datetime
    timezone: str
    title_es: str | None = None
    ends_at: datetime | None = None
    venue_id: int | None = None
    new_venue: NewVenue | None = None


@dataclass
class EventChanges:
    """What an edit changed, what it was before, and what followed from it."""

    fields: set[str] = field(default_factory=set)
    previous_starts_at: datetime | None = None
    previous_ends_at: datetime | None = None
    previous_timezone: str | None = None
    previous_venue: Venue | None = None
    itinerary_changed: bool = False
    notified: int = 0  # attendees emailed about it
    promoted: list[Rsvp] = field(default_factory=list)  # seated from the waitlist

    @property
    def time_changed(self) -> bool:
        return bool(self.fields & {"starts_at", "ends_at"})

    @property
    def venue_changed(self) -> bool:
        return "venue" in self.fields

    @property
    def affects_attendees(self) -> bool:
        """Time or place changed: calendars must update and attendees hear about it."""
        return self.time_changed or self.venue_changed or self.itinerary_changed


# Slugs


def slugify(text: str) -> str:
    """A URL-safe slug from a title: "Reunión del Consejo" -> "reunion-del-consejo"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_SLUG_BASE_MAX].rstrip("-") or "event"


def _slug_in_use(slug: str, event: Event | None = None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    query = db.select(Event.id).where(Event.slug == slug)
    if event is not None and event.id is not None:
        query = query.where(Event.id != event.id)
    return db.session.scalar(query) is not None


def unique_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3` … whichever is free."""
    candidate, n = base, 1
    while _slug_in_use(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def slug_can_change(event: Event) -> bool:
    """Only while a draft that never took answers: once published, links to the event are in
    feeds, emails and calendars, and must keep working. An unpublished event that has RSVPs
    was published before, so its slug stays too."""
    if event.status is not EventStatus.DRAFT:
        return False
    if event.id is None:
        return True
    has_rsvps = db.session.scalar(db.select(Rsvp.id).where(Rsvp.event_id == event.id).limit(1))
    return has_rsvps is None


def _set_slug(event: Event, wanted: str | None, title: str) -> None:
    if wanted is None or wanted == event.slug:
        if event.slug is None:
            event.slug = unique_slug(slugify(title))
        return
    if event.slug is not None and not slug_can_change(event):
        raise SlugLocked(event.slug)
    if _slug_in_use(wanted, event):
        raise SlugTaken(wanted)
    event.slug = wanted


# Venues and organizations


def _same_text(column, value: str):
    """Equal, or equal ignoring case. The exact match matters: SQLite's lower() folds only
    ASCII, so "Índex" would otherwise miss itself and then break the unique constraint."""
    return or_(column == value, func.lower(column) == value.lower())


def resolve_venue(venue_id: int | None, new_venue: NewVenue | None) -> Venue | None:
    """The venue chosen from the list, or the new one typed in.

    A "new" venue whose name and city match an existing one (ignoring case) is that venue:
    venues are unique by name and city, and organizers often retype a known place.
    """
    if new_venue is not None:
        existing = db.session.scalar(
            db.select(Venue)
            .where(_same_text(Venue.name, new_venue.name), _same_text(Venue.city, new_venue.city))
            .order_by(Venue.id)
            .limit(1)
        )
        if existing is not None:
            return existing
        venue = Venue(
            name=new_venue.name,
            address=new_venue.address,
            city=new_venue.city,
            region=new_venue.region,
            country=new_venue.country,
        )
        db.session.add(venue)
        db.session.flush()
        return venue
    if venue_id is None:
        return None
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise UnknownChoice(f"venue {venue_id}")
    return venue


def find_or_create_organization(name: str) -> Organization:
    """The organization called `name` (ignoring case), created if there is none yet."""
    organization = db.session.scalar(
        db.select(Organization)
        .where(_same_text(Organization.name, name))
        .order_by(Organization.id)
        .limit(1)
    )
    if organization is None:
        organization = Organization(name=name)
        db.session.add(organization)
        db.session.flush()
    return organization


def _organizations(ids: list[int], names: list[str], current: list[Organization]):
    """Chosen organizations in display order: those already on the event keep their order,
    then newly ticked ones, then new names. Duplicates collapse into one."""
    chosen: dict[int, Organization] = {}
    wanted = set(ids)
    for organization in current:
        if organization.id in wanted:
            chosen[organization.id] = organization
    for organization_id in ids:
        if organization_id not in chosen:
            organization = db.session.get(Organization, organization_id)
            if organization is None:
                raise UnknownChoice(f"organization {organization_id}")
            chosen[organization_id] = organization
    for name in names:
        organization = find_or_create_organization(name)
        chosen.setdefault(organization.id, organization)
    return list(chosen.values())


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


# Events

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
    event.timezone = details.timezone
    event.capacity = details.capacity
    event.guest_limit = details.guest_limit
    event.rsvp_deadline = details.rsvp_deadline
    event.visibility = details.visibility
    event.show_both_languages = details.show_both_languages
    event.venue = resolve_venue(details.venue_id, details.new_venue)
    hosts = _organizations(details.host_ids, details.new_hosts, event.hosts)
    partners = _organizations(details.partner_ids, details.new_partners, event.partners)
    _link_organizations(event, hosts, partners)


def create_event(details: EventDetails) -> Event:
    """A new draft event; nobody sees it until it is published."""
    event = Event(status=EventStatus.DRAFT, organizations=[], stops=[])
    _apply(event, details)
    _set_slug(event, details.slug, details.title_en)
    db.session.add(event)
    db.session.flush()
    return event


def update_event(event: Event, details: EventDetails, now: datetime) -> EventChanges:
    """Apply an edit and return what changed.

    A new time or place bumps SEQUENCE and emails the attendees (an updated invitation for
    those with a seat); more capacity seats people from the waitlist.
    """
    if event.is_cancelled:
        raise WrongStatus("edit", event.status)
    if details.kind is not EventKind.VISIT and event.stops:
        raise StopsNeedAVisit(kept=True)
    event = lock_event(event)  # seats and the waitlist are decided under the event lock
    before = _snapshot(event)
    previous_venue = event.venue
    _set_slug(event, details.slug, details.title_en)
    _apply(event, details)
    after = _snapshot(event)
    stops_moved = _move_stops_along(
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
        _announce(event, changes, now)
    if _gained_seats(before["capacity"], event.capacity):
        changes.promoted = fill_free_seats(event, now)
    return changes


def _move_stops_along(event: Event, shift: timedelta) -> bool:
    """A visit moved to another day or hour takes its itinerary along: each stop keeps its
    place in the day, on its own side of the border's clock (so 9:00 in Tijuana stays 9:00
    even when a daylight-saving change falls in between). Returns whether any stop moved."""
    if not shift or not event.stops:
        return False
    for stop in event.stops:
        stop.starts_at = _shifted(stop.starts_at, stop.timezone, shift)
        if stop.ends_at is not None:
            stop.ends_at = _shifted(stop.ends_at, stop.timezone, shift)
    return True


def _shifted(instant: datetime, zone: str, shift: timedelta) -> datetime:
    try:
        return to_utc(to_local(instant, zone) + shift, zone)
    except NonexistentLocalTime as gap:
        return to_utc(gap.skipped_to, zone)  # the hour the clocks skip: the next real time


def _gained_seats(before: int | None, after: int | None) -> bool:
    if before is None:
        return False
    return after is None or after > before


def _announce(event: Event, changes: EventChanges, now: datetime) -> None:
    """A change of time or place: calendars replace their copy (higher SEQUENCE) and attendees
    are told, unless the event is already over."""
    event.sequence += 1
    db.session.flush()
    if not event.has_ended(now):
        changes.notified = notifications.queue_event_changed(event, changes)


def publish_event(event: Event, now: datetime) -> list[Rsvp]:
    """Open a draft to the public (or to its invitees) and to RSVPs.

    Seats added while it was a draft go to the waitlist it kept; returns those seated.
    """
    if event.status is not EventStatus.DRAFT:
        raise WrongStatus("publish", event.status)
    event = lock_event(event)
    event.status = EventStatus.PUBLISHED
    event.sequence += 1
    db.session.flush()
    return fill_free_seats(event, now)


def unpublish_event(event: Event) -> None:
    """Back to draft: hidden from the calendar and closed to RSVPs; answers are kept."""
    if event.status is not EventStatus.PUBLISHED:
        raise WrongStatus("unpublish", event.status)
    event.status = EventStatus.DRAFT
    event.sequence += 1
    db.session.flush()


def cancel_event(event: Event, now: datetime, note: str | None = None) -> int:
    """Cancel for good: calendars drop it (METHOD:CANCEL) and attendees and the waitlist are
    told, with the organizers' `note` if any. Returns how many were emailed."""
    if event.is_cancelled:
        raise WrongStatus("cancel", event.status)
    event = lock_event(event)  # no answer slips in between the count and the cancellation
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


def duplicate_event(event: Event) -> Event:
    """A draft copy with every field, host, partner and stop; the organizer then sets dates.

    Board meetings are usually last month's meeting again. The copy is a new calendar entry:
    its own UID and slug, sequence 0, no RSVPs, no reminder sent.
    """
    copy = Event(status=EventStatus.DRAFT, organizations=[], stops=[])
    _copy_columns(event, copy, _NOT_COPIED)
    # The titles are data in each language, so each is marked in its own language.
    copy.title_en = _marked_copy(event.title_en, " (copy)")
    copy.title_es = _marked_copy(event.title_es, " (copia)")
    copy.slug = unique_slug(f"{event.slug[:_SLUG_BASE_MAX]}-copy")
    for link in event.organizations:
        copy.organizations.append(
            EventOrganization(
                organization_id=link.organization_id, role=link.role, position=link.position
            )
        )
    for stop in event.stops:
        stop_copy = ItineraryStop()
        _copy_columns(stop, stop_copy, {"id", "event_id"})
        copy.stops.append(stop_copy)
    db.session.add(copy)
    db.session.flush()
    return copy


# Itinerary stops


def _apply_stop(stop: ItineraryStop, details: StopDetails) -> None:
    stop.title_en = details.title_en
    stop.title_es = details.title_es
    stop.starts_at = details.starts_at
    stop.ends_at = details.ends_at
    stop.timezone = details.timezone
    stop.venue = resolve_venue(details.venue_id, details.new_venue)


def check_itinerary_editable(event: Event) -> None:
    """Raise, saying why, unless `event.itinerary_editable`."""
    if event.itinerary_editable:
        return
    if event.is_cancelled:
        raise WrongStatus("edit", event.status)
    raise StopsNeedAVisit()


def _itinerary_changed(event: Event, now: datetime) -> EventChanges:
    changes = EventChanges(fields={"stops"}, itinerary_changed=True)
    _announce(event, changes, now)
    return changes


def add_stop(event: Event, details: StopDetails, now: datetime) -> EventChanges:
    """Append a stop to a visit's itinerary."""
    check_itinerary_editable(event)
    stop = ItineraryStop(position=max((s.position for s in event.stops), default=-1) + 1)
    _apply_stop(stop, details)
    event.stops.append(stop)
    db.session.flush()
    return _itinerary_changed(event, now)


def update_stop(stop: ItineraryStop, details: StopDetails, now: datetime) -> EventChanges:
    """Edit a stop; attendees hear about it when its time or place changed, not its title."""
    event = stop.event
    check_itinerary_editable(event)

    def place_and_time():
        return stop.starts_at, stop.ends_at, stop.timezone, stop.venue_id

    before = place_and_time(), (stop.title_en, stop.title_es)
    _apply_stop(stop, details)
    db.session.flush()
    if place_and_time() != before[0]:
        return _itinerary_changed(event, now)
    return EventChanges(fields={"stops"} if (stop.title_en, stop.title_es) != before[1] else set())


def move_stop(stop: ItineraryStop, offset: int, now: datetime) -> EventChanges:
    """Swap a stop with its neighbour before (-1) or after (+1); at either end, nothing."""
    event = stop.event
    check_itinerary_editable(event)
    stops = list(event.stops)
    index = stops.index(stop)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(stops):
        return EventChanges()
    other = stops[target]
    # (event, position) is unique, so park one stop outside the range while they trade places.
    mine, theirs = stop.position, other.position
    stop.position = -1
    db.session.flush()
    other.position = mine
    db.session.flush()
    stop.position = theirs
    db.session.flush()
    db.session.refresh(event, ["stops"])
    return _itinerary_changed(event, now)


def remove_stop(stop: ItineraryStop, now: datetime) -> EventChanges:
    """Remove a stop and close the gap in the numbering."""
    event = stop.event
    check_itinerary_editable(event)
    event.stops.remove(stop)
    db.session.flush()
    for position, remaining in enumerate(event.stops):
        if remaining.position != position:
            remaining.position = position
            db.session.flush()  # one at a time, each into a free place
    return _itinerary_changed(event, now)

"""The venues and organizations events pick from: found by name, or created when typed in.

Shared by events and their itinerary stops (app/events/services.py, app/events/itinerary.py)
and by the demo seed. What the forms list to pick from is app/events/lookups.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, or_

from app.events.errors import UnknownChoice, ZoneContradictsVenue
from app.events.models import Organization, Venue
from app.extensions import db
from app.timezones import canonical_zone


@dataclass
class NewVenue:
    name: str
    city: str
    country: str  # "US" or "MX"
    address: str = ""
    region: str = ""
    timezone: str | None = None  # IANA; None: that of the event or stop it is typed for


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
            existing.timezone = existing.timezone or new_venue.timezone
            return existing
        venue = Venue(
            name=new_venue.name,
            address=new_venue.address,
            city=new_venue.city,
            region=new_venue.region,
            country=new_venue.country,
            timezone=new_venue.timezone,
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


def venue_and_zone(
    venue_id: int | None, new_venue: NewVenue | None, zone: str | None
) -> tuple[Venue | None, str]:
    """The venue of an event or a stop (as `resolve_venue`), and the zone its times are in.

    A venue that knows its zone sets it: `zone` may be None, and a different one is refused
    (ZoneContradictsVenue), since the times would be read on the wrong clock. A new venue
    typed in without a zone is taken to be in `zone`.
    """
    if new_venue is not None and new_venue.timezone is None:
        new_venue = replace(new_venue, timezone=zone)
    venue = resolve_venue(venue_id, new_venue)
    if venue is not None and venue.timezone:
        if zone is not None and canonical_zone(zone) != venue.timezone:
            raise ZoneContradictsVenue(venue.timezone, zone)
        return venue, venue.timezone
    if zone is None:
        raise ValueError("a time zone is needed where the venue has none")
    return venue, canonical_zone(zone)


def find_organization(name: str) -> Organization | None:
    """The organization called `name`, by its name or short name, ignoring case."""
    return db.session.scalar(
        db.select(Organization)
        .where(_same_text(Organization.name, name) | _same_text(Organization.short_name, name))
        .order_by(Organization.id)
        .limit(1)
    )


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


def choose_organizations(
    ids: list[int], names: list[str], current: list[Organization]
) -> list[Organization]:
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

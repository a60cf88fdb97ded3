"""What the organizer's event forms offer to pick from: venues and organizations."""

from app.events.models import Organization, Venue
from app.extensions import db


def venues_by_name() -> list[Venue]:
    return list(db.session.scalars(db.select(Venue).order_by(Venue.name, Venue.city)))


def organizations_by_name() -> list[Organization]:
    return list(db.session.scalars(db.select(Organization).order_by(Organization.name)))

"""What each kind of venue asks about a visitor, in the order of the venue's own form.

The keys are those of `SecurityList.fields` and of `SecurityDetails.values`; their labels are in
app/security_lists/labels.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.security_lists.models import VenueTemplate

GIVEN_NAMES = "given_names"
PATERNAL_SURNAME = "paternal_surname"
MATERNAL_SURNAME = "maternal_surname"
BIRTH_DATE = "birth_date"
NATIONALITY = "nationality"
ORGANIZATION = "organization"
ID_TYPE = "id_type"
ID_NUMBER = "id_number"
ID_EXPIRY = "id_expiry"
PLATE = "plate"
PLATE_REGION = "plate_region"
VEHICLE_MAKE = "vehicle_make"
VEHICLE_COLOUR = "vehicle_colour"

_NAMES = (GIVEN_NAMES, PATERNAL_SURNAME, MATERNAL_SURNAME)

TEMPLATE_FIELDS: dict[VenueTemplate, tuple[str, ...]] = {
    VenueTemplate.US_CONSULATE: (*_NAMES, BIRTH_DATE, NATIONALITY, ID_TYPE, ID_NUMBER),
    # CBP checks the document is valid on the day of the tour.
    VenueTemplate.PORT_OF_ENTRY: (*_NAMES, BIRTH_DATE, NATIONALITY, ID_TYPE, ID_NUMBER, ID_EXPIRY),
    VenueTemplate.MEXICAN_GOVERNMENT: (*_NAMES, ORGANIZATION, ID_TYPE, ID_NUMBER),
}
# Asked of visitors who come by car, at any venue that wants the vehicle add-on.
VEHICLE_FIELDS: tuple[str, ...] = (PLATE, PLATE_REGION, VEHICLE_MAKE, VEHICLE_COLOUR)

# Every key there is, in one order that agrees with each template's.
ALL_FIELDS: tuple[str, ...] = (
    *_NAMES,
    BIRTH_DATE,
    NATIONALITY,
    ORGANIZATION,
    ID_TYPE,
    ID_NUMBER,
    ID_EXPIRY,
    *VEHICLE_FIELDS,
)
# Given only by those who come by car, and then together (see validation.py).
OPTIONAL_FIELDS = frozenset({MATERNAL_SURNAME, *VEHICLE_FIELDS})
# Not typed again for the list: the RSVP's own organization is used.
FROM_RSVP = frozenset({ORGANIZATION})
# An ID number means nothing without its type: the two are asked together.
PAIRED = {ID_TYPE: ID_NUMBER, ID_NUMBER: ID_TYPE}


def template_fields(template: VenueTemplate, vehicle: bool) -> tuple[str, ...]:
    """Every field the template asks, in its order, with the vehicle's after."""
    return TEMPLATE_FIELDS[template] + (VEHICLE_FIELDS if vehicle else ())


def chosen_fields(template: VenueTemplate, vehicle: bool, chosen: Iterable[str]) -> list[str]:
    """The chosen fields that the template (and add-on) has, in its order; an ID type or
    number brings its partner along."""
    wanted = set(chosen)
    wanted |= {PAIRED[key] for key in wanted if key in PAIRED}
    return [key for key in template_fields(template, vehicle) if key in wanted]

"""What security-list fields, documents and refusals say to a person, in their language."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.security_lists import venues
from app.security_lists.errors import (
    DueAfterStart,
    NoFieldsChosen,
    NoSecurityList,
    NotAttending,
    SecurityListError,
)
from app.security_lists.models import SecurityList, VenueTemplate
from app.security_lists.validation import (
    DATE_FIELDS,
    ID_TYPES,
    MINIMUM_AGE,
    IdType,
    Problem,
    masked,
)

TEMPLATE_LABELS = {
    VenueTemplate.US_CONSULATE: _l("U.S. consulate"),
    VenueTemplate.PORT_OF_ENTRY: _l("Port of entry tour"),
    VenueTemplate.MEXICAN_GOVERNMENT: _l("Mexican government building"),
}

FIELD_LABELS = {
    venues.GIVEN_NAMES: _l("Given names, as on your ID"),
    venues.PATERNAL_SURNAME: _l("Last name (first surname)"),
    venues.MATERNAL_SURNAME: _l("Second surname (mother's), if you have one"),
    venues.BIRTH_DATE: _l("Date of birth"),
    venues.NATIONALITY: _l("Nationality"),
    venues.ORGANIZATION: _l("Organization"),
    venues.ID_TYPE: _l("ID document"),
    venues.ID_NUMBER: _l("Document number"),
    venues.ID_EXPIRY: _l("Document expiry date"),
    venues.PLATE: _l("License plate"),
    venues.PLATE_REGION: _l("State or country of the plate"),
    venues.VEHICLE_MAKE: _l("Vehicle make and model"),
    venues.VEHICLE_COLOUR: _l("Vehicle color"),
}

FIELD_HINTS = {
    venues.ID_NUMBER: _l("As printed on the document; spaces and dashes don't matter."),
    venues.ID_EXPIRY: _l("It must still be valid on the day of the event."),
    venues.PLATE: _l("Only if you're coming by car."),
}

ID_TYPE_LABELS = {
    IdType.PASSPORT: _l("Passport"),
    IdType.US_PASSPORT_CARD: _l("U.S. passport card"),
    IdType.INE: _l("INE voter ID (credencial para votar)"),
    IdType.SENTRI: _l("SENTRI or Global Entry card"),
    IdType.BCC: _l("Border Crossing Card"),
    IdType.DRIVERS_LICENCE: _l("Driver's license"),
}

PROBLEM_MESSAGES = {
    Problem.REQUIRED: _l("Please fill this in: the venue needs it."),
    Problem.TOO_LONG: _l("That is longer than the venue's form allows."),
    Problem.NOT_A_NAME: _l("Please enter the name as on your ID."),
    Problem.NOT_TEXT: _l("Please use a single line without special characters."),
    Problem.BAD_DATE: _l("Please enter a date, like 1980-05-31."),
    Problem.BIRTH_DATE_RANGE: _l("Please check the date of birth."),
    Problem.TOO_YOUNG: _l(
        "Please check the year: visitors must be at least %(age)s years old.", age=MINIMUM_AGE
    ),
    Problem.EXPIRED: _l(
        "This document will have expired by the event. Please choose another document."
    ),
    Problem.EXPIRY_TOO_FAR: _l("Please check the expiry date."),
    Problem.UNKNOWN_COUNTRY: _l("Please choose a nationality from the list."),
    Problem.UNKNOWN_ID_TYPE: _l("Please choose a document from the list."),
    Problem.BAD_PASSPORT: _l(
        "A passport number is 6 to 9 letters and digits. Please check the number."
    ),
    Problem.BAD_PASSPORT_US: _l(
        "A U.S. passport number is 9 digits, or a letter and 8 digits. Please check it."
    ),
    Problem.BAD_PASSPORT_MX: _l(
        "A Mexican passport number is a letter and 8 digits (or 9 digits). Please check it."
    ),
    Problem.BAD_US_PASSPORT_CARD: _l(
        "A U.S. passport card number is the letter C and 8 digits. Please check it."
    ),
    Problem.BAD_INE: _l(
        "Enter the 18-character clave de elector (6 letters, 8 digits, H or M, 3 digits) or "
        "the 13-digit number on the back of the card."
    ),
    Problem.BAD_SENTRI: _l("A SENTRI or Global Entry PASSID is 9 digits. Please check it."),
    Problem.BAD_BCC: _l("A Border Crossing Card number is 8 to 12 letters and digits."),
    Problem.BAD_DRIVERS_LICENCE: _l("A license number is 4 to 20 letters and digits."),
    Problem.BAD_PLATE: _l("A license plate is 2 to 10 letters and digits."),
    Problem.PLATE_NEEDED: _l("Coming by car? The venue needs the plate and its state or country."),
}


def problem_message(problem: Problem) -> str:
    return str(PROBLEM_MESSAGES[problem])


def error_message(error: SecurityListError) -> str:
    """What a refused change of the list says to the organizer."""
    if isinstance(error, NoFieldsChosen):
        return _("Please choose at least one detail for the venue.")
    if isinstance(error, DueAfterStart):
        return _("The list must be due before the event starts.")
    if isinstance(error, NoSecurityList):
        return _("This event no longer has a security list.")
    if isinstance(error, NotAttending):
        return _("Only people who are coming give their details for the security list.")
    raise error


def encryption_missing() -> str:
    """Why no list can be turned on: the details would be stored unencrypted."""
    return _(
        "Security lists are off on this server: their details are stored encrypted, and no "
        "key is configured. Set DATA_ENCRYPTION_KEYS (docs/deploy.md) and restart the app."
    )


def detail_rows(
    security_list: SecurityList, stored: dict[str, str], language: str
) -> list[tuple[str, str | None]]:
    """(label, value as shown) for each field the list asks, in its order; None for one not on
    record. The ID number shows only its end (validation.masked)."""
    countries = Locale.parse(language).territories
    rows = []
    for key in security_list.fields:
        value = stored.get(key)
        if value is None:
            shown = None
        elif key == venues.NATIONALITY:
            shown = countries.get(value, value)
        elif key == venues.ID_TYPE:
            shown = str(ID_TYPE_LABELS[IdType(value)]) if value in ID_TYPES else value
        elif key == venues.ID_NUMBER:
            shown = masked(value)
        elif key in DATE_FIELDS:
            shown = format_date(date.fromisoformat(value), "long", locale=language)
        else:
            shown = value
        rows.append((str(FIELD_LABELS[key]), shown))
    return rows

"""Checking and normalising a visitor's details for a security list: pure functions, no request
and no database, so the form and the service apply the very same rules.

Lenient where real documents vary, strict where a typo would only be found at the venue's gate:
a number that cannot be one of the chosen document's is refused with what that document's
numbers look like.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache

from babel import Locale

from app.security_lists import venues
from app.security_lists.errors import InvalidDetails


class IdType(enum.StrEnum):
    PASSPORT = "passport"
    US_PASSPORT_CARD = "us_passport_card"
    INE = "ine"  # credencial para votar
    SENTRI = "sentri"  # SENTRI or Global Entry card (their PASSID)
    BCC = "bcc"  # Border Crossing Card ("visa láser")
    DRIVERS_LICENCE = "drivers_licence"


ID_TYPES = frozenset(id_type.value for id_type in IdType)


class Problem(enum.StrEnum):
    """Why a value was refused; app/security_lists/labels.py says it to a person."""

    REQUIRED = "required"
    TOO_LONG = "too_long"
    NOT_A_NAME = "not_a_name"
    NOT_TEXT = "not_text"
    BAD_DATE = "bad_date"
    BIRTH_DATE_RANGE = "birth_date_range"
    TOO_YOUNG = "too_young"
    EXPIRED = "expired"
    EXPIRY_TOO_FAR = "expiry_too_far"
    UNKNOWN_COUNTRY = "unknown_country"
    UNKNOWN_ID_TYPE = "unknown_id_type"
    BAD_PASSPORT = "bad_passport"
    BAD_PASSPORT_US = "bad_passport_us"
    BAD_PASSPORT_MX = "bad_passport_mx"
    BAD_US_PASSPORT_CARD = "bad_us_passport_card"
    BAD_INE = "bad_ine"
    BAD_SENTRI = "bad_sentri"
    BAD_BCC = "bad_bcc"
    BAD_DRIVERS_LICENCE = "bad_drivers_licence"
    BAD_PLATE = "bad_plate"
    PLATE_NEEDED = "plate_needed"


FIRST_BIRTH_YEAR = 1900
# Coalition events at consulates and ports are for adults and older students; a birth date
# that makes someone younger is nearly always this year typed instead of their own.
MINIMUM_AGE = 12
# No ID document runs longer than ten years; twenty allows for lenient issuers and typos we
# should not guess about, and still catches a year typed with an extra digit.
LONGEST_VALIDITY_YEARS = 20

MAX_LENGTHS = {
    venues.GIVEN_NAMES: 100,
    venues.PATERNAL_SURNAME: 100,
    venues.MATERNAL_SURNAME: 100,
    venues.ORGANIZATION: 200,
    venues.PLATE_REGION: 60,
    venues.VEHICLE_MAKE: 60,
    venues.VEHICLE_COLOUR: 40,
}
NAME_FIELDS = frozenset({venues.GIVEN_NAMES, venues.PATERNAL_SURNAME, venues.MATERNAL_SURNAME})
DATE_FIELDS = frozenset({venues.BIRTH_DATE, venues.ID_EXPIRY})
# Filled in by those who come by car; plate and region are what a guard checks, so given one
# vehicle field, those two are needed.
VEHICLE_NEEDED = (venues.PLATE, venues.PLATE_REGION)

# Territories Babel names that are not a nationality anyone holds a passport of.
_NOT_NATIONALITIES = frozenset(
    {"AC", "AQ", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_SPACES = re.compile(r"\s+")

# Document numbers once normalised (upper case, no spaces or dashes), ASCII only.
_US_OR_MX_PASSPORT = re.compile(r"[A-Z][0-9]{8}|[0-9]{9}", re.ASCII)
_ANY_PASSPORT = re.compile(r"(?=.*[0-9])[A-Z0-9]{6,9}", re.ASCII)
_ID_NUMBERS = {
    IdType.US_PASSPORT_CARD: (re.compile(r"C[0-9]{8}", re.ASCII), Problem.BAD_US_PASSPORT_CARD),
    # The 18-character clave de elector (6 letters, birth date and state in 8 digits, H or M,
    # 3 digits) or the 13-digit OCR number on the back: people copy whichever they find first.
    IdType.INE: (
        re.compile(r"[A-Z]{6}[0-9]{8}[HM][0-9]{3}|[0-9]{13}", re.ASCII),
        Problem.BAD_INE,
    ),
    IdType.SENTRI: (re.compile(r"[0-9]{9}", re.ASCII), Problem.BAD_SENTRI),
    IdType.BCC: (re.compile(r"(?=.*[0-9])[A-Z0-9]{8,12}", re.ASCII), Problem.BAD_BCC),
    IdType.DRIVERS_LICENCE: (
        re.compile(r"(?=.*[0-9])[A-Z0-9]{4,20}", re.ASCII),
        Problem.BAD_DRIVERS_LICENCE,
    ),
}
_PLATE = re.compile(r"[A-Z0-9]{2,10}", re.ASCII)


def normalize_code(text: str) -> str:
    """A document number or plate as printed, compared and stored one way: compatibility
    forms folded (full-width digits), spaces and dashes removed, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def check_id_number(id_type: IdType, number: str, nationality: str | None = None) -> Problem | None:
    """Why `number` (normalised) cannot be a number of `id_type`, or None if it can.

    A passport's format is checked for the nationalities we know (US and MX passports are a
    letter and 8 digits, or 9 digits); any other is 6 to 9 letters and digits.
    """
    if id_type is IdType.PASSPORT:
        if nationality in ("US", "MX"):
            if _US_OR_MX_PASSPORT.fullmatch(number):
                return None
            return Problem.BAD_PASSPORT_US if nationality == "US" else Problem.BAD_PASSPORT_MX
        return None if _ANY_PASSPORT.fullmatch(number) else Problem.BAD_PASSPORT
    pattern, problem = _ID_NUMBERS[id_type]
    return None if pattern.fullmatch(number) else problem


def parse_date(text: str) -> date | None:
    """A date as <input type="date"> sends it (YYYY-MM-DD); None for anything else."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_birth_date(born: date, today: date) -> Problem | None:
    if born.year < FIRST_BIRTH_YEAR or born > today:
        return Problem.BIRTH_DATE_RANGE
    if age_on(born, today) < MINIMUM_AGE:
        return Problem.TOO_YOUNG
    return None


def check_expiry(expiry: date, event_day: date) -> Problem | None:
    """The document must still be valid on the (last) day of the event."""
    if expiry < event_day:
        return Problem.EXPIRED
    if expiry.year > event_day.year + LONGEST_VALIDITY_YEARS:
        return Problem.EXPIRY_TOO_FAR
    return None


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166 codes of the countries and territories whose nationals one may be."""
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_NATIONALITIES
    )


def country_names(language: str) -> list[tuple[str, str]]:
    """(code, name) of every nationality, named in `language`: Mexico and the United States
    first (nearly everyone at the coalition's events), then the rest alphabetically."""
    names = Locale.parse(language).territories
    first = [(code, names[code]) for code in ("MX", "US")]
    rest = sorted(
        ((code, names[code]) for code in country_codes() if code not in ("MX", "US")),
        key=lambda pair: _sort_key(pair[1]),
    )
    return first + rest


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _clean_text(key: str, value: str) -> tuple[str, Problem | None]:
    text = _SPACES.sub(" ", value).strip()  # a pasted line break or tab becomes a space
    if _CONTROL.search(text):
        return text, Problem.NOT_TEXT
    if len(text) > MAX_LENGTHS.get(key, 100):
        return text, Problem.TOO_LONG
    if key in NAME_FIELDS and not any(char.isalpha() for char in text):
        return text, Problem.NOT_A_NAME
    return text, None


def clean_details(
    fields: Sequence[str], raw: Mapping[str, object], *, today: date, event_day: date
) -> dict[str, str]:
    """The details for `fields`, normalised, from what was typed (`raw`, strings by key).

    Returns only the keys given: an optional field left blank, or the vehicle fields of someone
    who comes on foot, are absent. Raises InvalidDetails with a Problem for each field refused.
    Dates come back as YYYY-MM-DD, the nationality as its ISO code, the ID type as an IdType
    value, numbers and plates normalised (normalize_code).
    """
    typed = {key: str(raw.get(key) or "").strip() for key in fields}
    cleaned: dict[str, str] = {}
    problems: dict[str, Problem] = {}
    by_car = any(typed[key] for key in venues.VEHICLE_FIELDS if key in typed)
    for key in fields:
        value = typed[key]
        if not value:
            needed = key not in venues.OPTIONAL_FIELDS or (by_car and key in VEHICLE_NEEDED)
            if needed:
                problems[key] = Problem.PLATE_NEEDED if key in VEHICLE_NEEDED else Problem.REQUIRED
            continue
        if key in DATE_FIELDS:
            day = parse_date(value)
            if day is None:
                problems[key] = Problem.BAD_DATE
                continue
            problem = (
                check_birth_date(day, today)
                if key == venues.BIRTH_DATE
                else check_expiry(day, event_day)
            )
            value = day.isoformat()
        elif key == venues.NATIONALITY:
            value = value.upper()
            problem = None if value in country_codes() else Problem.UNKNOWN_COUNTRY
        elif key == venues.ID_TYPE:
            problem = None if value in ID_TYPES else Problem.UNKNOWN_ID_TYPE
        elif key == venues.ID_NUMBER:
            value = normalize_code(value)
            problem = None  # checked below, once the type and nationality are known
            if len(value) > 20:
                problem = Problem.TOO_LONG
        elif key == venues.PLATE:
            value = normalize_code(value)
            problem = None if _PLATE.fullmatch(value) else Problem.BAD_PLATE
        else:
            value, problem = _clean_text(key, value)
        if problem is not None:
            problems[key] = problem
        else:
            cleaned[key] = value
    number = cleaned.get(venues.ID_NUMBER)
    id_type = cleaned.get(venues.ID_TYPE)
    if number is not None and id_type is not None:
        problem = check_id_number(IdType(id_type), number, cleaned.get(venues.NATIONALITY))
        if problem is not None:
            problems[venues.ID_NUMBER] = problem
            del cleaned[venues.ID_NUMBER]
    if problems:
        raise InvalidDetails(problems)
    return cleaned


def masked(number: str) -> str:
    """An ID number as pages show it: its last four characters, and at most half of it, so a
    short number is not shown whole."""
    shown = min(4, len(number) // 2)
    return "•" * (len(number) - shown) + number[len(number) - shown :]

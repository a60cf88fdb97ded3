"""The parts event and stop forms share: local date-times in a zone, titles, venues, validators.

Times are typed as local date and time plus an IANA zone; `LocalTimes` turns them into UTC
instants with app/timezones.py, so a DST gap or an end before the start is reported next to the
field concerned.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from app.events.directory import NewVenue
from app.events.errors import ZoneContradictsVenue
from app.events.labels import error_message
from app.events.models import Venue, Visibility
from app.events.notifications import MessageRecipients
from app.forms import (
    BaseForm,
    no_control_characters,
    none_if_blank,
    single_line,
    strip_filter,
)
from app.i18n import zone_city
from app.timezones import (
    SUGGESTED_ZONES,
    NonexistentLocalTime,
    UnknownZone,
    canonical_zone,
    to_utc,
    zones_by_country,
)

# What <input type="datetime-local"> sends (with or without seconds), first one for display.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
BAD_DATETIME = _l("Please enter a date and time, like 2026-08-14 09:00.")
# Dates people plan events for; outside them, a typo (year 9999 cannot even be turned into UTC
# in a zone west of it without overflowing Python's datetime).
FIRST_YEAR, LAST_YEAR = 2000, 2100

COUNTRY_CHOICES = [SelectChoice("MX", _l("Mexico")), SelectChoice("US", _l("United States"))]
VISIBILITY_CHOICES = [
    SelectChoice(Visibility.PUBLIC.value, _l("Public: listed on the calendar")),
    SelectChoice(
        Visibility.INVITE_ONLY.value,
        _l("Invite only: hidden; invitees open it with their personal link"),
    ),
]
AUDIENCE_CHOICES = [
    SelectChoice(MessageRecipients.CONFIRMED.value, _l("Confirmed attendees")),
    SelectChoice(MessageRecipients.CONFIRMED_AND_WAITLISTED.value, _l("Confirmed and waitlisted")),
]


def required_datetime(message):
    """Like InputRequired, but the only message for an empty field (not also "bad format")."""

    def check(form, field) -> None:
        if not field.raw_data or not field.raw_data[0].strip():
            field.errors[:] = []
            raise StopValidation(message)

    return check


def known_zone(form, field) -> None:
    """An IANA zone name, stored in its canonical spelling."""
    if not field.data:
        return
    try:
        field.data = canonical_zone(field.data)
    except UnknownZone:
        raise ValidationError(
            _l("Unknown time zone. Choose one from the list, like America/Tijuana.")
        ) from None


def optional_id(value) -> int | None:
    """A <select> value: "" for none, otherwise a row id."""
    if value in (None, ""):
        return None
    return int(value)


def organization_names(form, field) -> None:
    """One organization name per line, each as short and clean as a single-line field."""
    for name in non_blank_lines(field.data):
        if len(name) > 200:
            raise ValidationError(_l("Please keep each name under 200 characters."))
    no_control_characters(form, field)


def lowercase(value):
    return value.lower() if isinstance(value, str) else value


def plausible_year(form, field) -> None:
    """A date from FIRST_YEAR to LAST_YEAR, said next to the field, before any zone math."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(
            _l(
                "Please enter a date between the years %(first)s and %(last)s.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )


def local_datetime(label, *validators, **kwargs) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=LOCAL_FORMATS,
        invalid_value_message=BAD_DATETIME,
        validators=[*validators, plausible_year],
        **kwargs,
    )


# Events and itinerary stops ask for their titles and zone alike. Factories rather than a mixin
# class, so each field keeps its place in the form's order (WTForms orders by creation).


def english_title() -> StringField:
    return StringField(
        _l("Title in English"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter a title.")), Length(max=200), single_line],
    )


def spanish_title() -> StringField:
    return StringField(
        _l("Title in Spanish (optional)"),
        filters=[none_if_blank],
        validators=[Optional(), Length(max=200), single_line],
    )


def zone_choices(blank_label) -> list[SelectChoice]:
    """Every zone, grouped: Mexico, the United States, then all others; the suggested ones
    first, the rest by city. Labels start with the city ("Tijuana (America/Tijuana)"), so
    typing a city's first letters in the closed select finds it, no script needed."""

    def label(zone: str) -> str:
        return f"{zone_city(zone)} ({zone})" if "/" in zone else zone

    groups = zip((_l("Mexico"), _l("United States"), _l("Other")), zones_by_country(), strict=True)
    choices = [SelectChoice("", blank_label)]
    for group, zones in groups:
        suggested = [z for z in zones if z in SUGGESTED_ZONES]
        others = sorted((z for z in zones if z not in SUGGESTED_ZONES), key=label)
        choices += [SelectChoice(z, label(z), optgroup=group) for z in suggested + others]
    return choices


ZONE_LABEL = _l("Time zone")
VENUE_ZONE = _l("The venue's time zone")


def time_zone(label=ZONE_LABEL, blank=VENUE_ZONE, **kwargs) -> SelectField:
    """A select of every zone; the blank first choice (`blank`) leaves it to the venue."""
    return SelectField(
        label,
        choices=lambda: zone_choices(blank),
        # Any spelling of a real zone is taken (and stored canonical), as typed ones were.
        validate_choice=False,
        filters=[strip_filter],
        validators=[Length(max=64), known_zone],
        default="",
        **kwargs,
    )


def non_blank_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class VenueFields(BaseForm):
    """Pick a known venue, or type a new one (which then wins)."""

    venue = SelectField(_l("Venue"), coerce=optional_id)
    new_venue_name = StringField(
        _l("New venue: name"),
        filters=[strip_filter],
        validators=[Length(max=200), single_line],
    )
    new_venue_address = StringField(
        _l("Address"), filters=[strip_filter], validators=[Length(max=300), single_line]
    )
    new_venue_city = StringField(
        _l("City"), filters=[strip_filter], validators=[Length(max=100), single_line]
    )
    new_venue_region = StringField(
        _l("State"), filters=[strip_filter], validators=[Length(max=100), single_line]
    )
    new_venue_country = SelectField(_l("Country"), choices=COUNTRY_CHOICES, default="MX")
    new_venue_timezone = time_zone(_l("Its time zone"), _l("The time zone chosen above"))

    _venue_zones: dict[int, str | None] = {}

    def offer_venues(self, venues: list[Venue]) -> None:
        self.venue.choices = [SelectChoice("", _l("No venue"))] + [
            SelectChoice(str(v.id), f"{v.name} — {v.locality}") for v in venues
        ]
        self._venue_zones = {v.id: v.timezone for v in venues}

    def venue_zone(self) -> str | None:
        """The zone of the venue chosen, or of the new one typed in, if it has one."""
        if self.new_venue_name.data:
            return None if self.new_venue_timezone.errors else self.new_venue_timezone.data
        return self._venue_zones.get(self.venue.data)

    def zone_for_times(self, fallback: str | None = None) -> str | None:
        """The zone the form's local times are in: the one chosen in `timezone` (a field of
        the form using these), else the venue's, else `fallback`; it is then shown chosen.
        None, said next to the field, if there is none or the choice contradicts the venue
        (the services refuse that too, for every caller)."""
        field = self.timezone
        if field.errors:
            return None
        chosen, at_venue = field.data or None, self.venue_zone() or None
        if chosen and at_venue and chosen != at_venue:
            field.errors.append(error_message(ZoneContradictsVenue(at_venue, chosen)))
            return None
        zone = chosen or at_venue or fallback
        if zone is None:
            field.errors.append(_("Please choose a time zone, or a venue that has one."))
            return None
        field.data = zone
        return zone

    def _check_new_venue(self) -> bool:
        if self.new_venue_name.data and not self.new_venue_city.data:
            self.new_venue_city.errors.append(_("Please enter the new venue's city."))
            return False
        return True

    @property
    def new_venue(self) -> NewVenue | None:
        if not self.new_venue_name.data:
            return None
        return NewVenue(
            name=self.new_venue_name.data,
            address=self.new_venue_address.data or "",
            city=self.new_venue_city.data,
            region=self.new_venue_region.data or "",
            country=self.new_venue_country.data,
            timezone=self.new_venue_timezone.data or None,
        )


class LocalTimes:
    """Turns the form's local datetime fields into instants in the chosen zone."""

    def _instant(self, field, zone: str) -> datetime | None:
        if field.data is None or field.errors:
            return None
        try:
            return to_utc(field.data, zone)
        except NonexistentLocalTime as gap:
            field.errors.append(
                _(
                    "%(time)s doesn't exist in %(zone)s: the clocks jump forward an hour "
                    "that night for daylight saving time. Please choose another time, "
                    "like %(after)s.",
                    time=gap.local.strftime("%Y-%m-%d %H:%M"),
                    zone=zone,
                    after=gap.skipped_to.strftime("%H:%M"),
                )
            )
            return None

    def _check_order(self, starts_at, ends_at, ends_field) -> bool:
        if starts_at is not None and ends_at is not None and ends_at <= starts_at:
            ends_field.errors.append(_("The end must be after the start."))
            return False
        return True

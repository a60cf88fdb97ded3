"""Organizer forms for events and itinerary stops, and the notices they send.

Times are typed as local date and time plus an IANA zone; `validate()` turns them into UTC
instants with app/timezones.py, so a DST gap or an end before the start is reported next to the
field concerned.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.events.labels import KIND_LABELS
from app.events.models import Event, EventKind, ItineraryStop, Organization, Venue, Visibility
from app.events.notifications import MessageRecipients
from app.events.services import SLUG_MAX, SLUG_PATTERN, EventDetails, NewVenue, StopDetails
from app.forms import (
    BaseForm,
    no_control_characters,
    none_if_blank,
    single_line,
    strip_filter,
)
from app.timezones import (
    NonexistentLocalTime,
    UnknownZone,
    canonical_zone,
    to_local,
    to_utc,
)

# What <input type="datetime-local"> sends (with or without seconds), first one for display.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
BAD_DATETIME = _l("Please enter a date and time, like 2026-08-14 09:00.")

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
    for name in _names(field.data):
        if len(name) > 200:
            raise ValidationError(_l("Please keep each name under 200 characters."))
    no_control_characters(form, field)


def lowercase(value):
    return value.lower() if isinstance(value, str) else value


def local_datetime(label, *validators, **kwargs) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=LOCAL_FORMATS,
        invalid_value_message=BAD_DATETIME,
        validators=list(validators),
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


def time_zone(**kwargs) -> StringField:
    return StringField(
        _l("Time zone"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please choose a time zone.")), Length(max=64), known_zone],
        render_kw={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"},
        **kwargs,
    )


def _names(text: str | None) -> list[str]:
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

    def offer_venues(self, venues: list[Venue]) -> None:
        self.venue.choices = [SelectChoice("", _l("No venue"))] + [
            SelectChoice(str(v.id), f"{v.name} — {v.locality}") for v in venues
        ]

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


class EventForm(VenueFields, LocalTimes):
    kind = SelectField(
        _l("Kind of event"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        validators=[InputRequired(_l("Please choose the kind of event."))],
    )
    title_en = english_title()
    title_es = spanish_title()
    description_en = TextAreaField(
        _l("Description in English"),
        filters=[strip_filter],
        validators=[Length(max=20000), no_control_characters],
    )
    description_es = TextAreaField(
        _l("Description in Spanish (optional)"),
        filters=[none_if_blank],
        validators=[Optional(), Length(max=20000), no_control_characters],
    )
    starts_at = local_datetime(
        _l("Starts"), required_datetime(_l("Please enter when the event starts."))
    )
    ends_at = local_datetime(_l("Ends"), required_datetime(_l("Please enter when the event ends.")))
    timezone = time_zone(default="America/Tijuana")
    hosts = SelectMultipleField(
        _l("Hosts"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    new_hosts = TextAreaField(
        _l("Other hosts"), filters=[strip_filter], validators=[organization_names]
    )
    partners = SelectMultipleField(
        _l("Partners"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    new_partners = TextAreaField(
        _l("Other partners"), filters=[strip_filter], validators=[organization_names]
    )
    capacity = IntegerField(
        _l("Capacity (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=100000, message=_l("Please enter a number of seats, 1 or more.")
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    guest_limit = IntegerField(
        _l("Guests each attendee may bring"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=20, message=_l("Please enter a number from 0 to 20.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    rsvp_deadline = local_datetime(_l("RSVP deadline (optional)"), Optional())
    visibility = RadioField(
        _l("Who can see it"),
        choices=VISIBILITY_CHOICES,
        default=Visibility.PUBLIC.value,
        validators=[InputRequired(_l("Please choose who can see the event."))],
    )
    show_both_languages = BooleanField(_l("Show English and Spanish side by side"))
    slug = StringField(
        _l("Web address"),
        filters=[none_if_blank, lowercase],
        validators=[
            Optional(),
            Length(max=SLUG_MAX),
            Regexp(
                SLUG_PATTERN,
                message=_l("Please use lowercase letters, digits and single hyphens only."),
            ),
        ],
    )

    def offer(self, venues: list[Venue], organizations: list[Organization]) -> None:
        """Fill the choices from the database; call before validating or rendering."""
        self.offer_venues(venues)
        choices = [SelectChoice(str(o.id), o.name) for o in organizations]
        self.hosts.choices = choices
        self.partners.choices = choices

    @staticmethod
    def data_from(event: Event) -> dict:
        """The form's values for an existing event, times in its own zone."""
        zone = event.timezone
        return {
            "kind": event.kind.value,
            "title_en": event.title_en,
            "title_es": event.title_es,
            "description_en": event.description_en,
            "description_es": event.description_es,
            "starts_at": to_local(event.starts_at, zone),
            "ends_at": to_local(event.ends_at, zone),
            "timezone": zone,
            "rsvp_deadline": to_local(event.rsvp_deadline, zone) if event.rsvp_deadline else None,
            "venue": event.venue_id,
            "hosts": [o.id for o in event.hosts],
            "partners": [o.id for o in event.partners],
            "capacity": event.capacity,
            "guest_limit": event.guest_limit,
            "visibility": event.visibility.value,
            "show_both_languages": event.show_both_languages,
            "slug": event.slug,
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.instants: dict[str, datetime | None] = {}
        if not self.timezone.errors:
            zone = self.timezone.data
            for name in ("starts_at", "ends_at", "rsvp_deadline"):
                self.instants[name] = self._instant(self[name], zone)
        starts_at = self.instants.get("starts_at")
        valid &= self._check_order(starts_at, self.instants.get("ends_at"), self.ends_at)
        deadline = self.instants.get("rsvp_deadline")
        if deadline is not None and starts_at is not None and deadline > starts_at:
            self.rsvp_deadline.errors.append(_("The RSVP deadline must be before the start."))
        valid &= self._check_new_venue()
        both = set(self.hosts.data or []) & set(self.partners.data or [])
        if both:
            self.partners.errors.append(_("An organization can be a host or a partner, not both."))
        return valid and not self.errors

    def details(self) -> EventDetails:
        """The validated values, for app.events.services."""
        return EventDetails(
            kind=EventKind(self.kind.data),
            title_en=self.title_en.data,
            title_es=self.title_es.data,
            description_en=self.description_en.data or "",
            description_es=self.description_es.data,
            starts_at=self.instants["starts_at"],
            ends_at=self.instants["ends_at"],
            timezone=self.timezone.data,
            venue_id=self.venue.data,
            new_venue=self.new_venue,
            host_ids=list(self.hosts.data or []),
            new_hosts=_names(self.new_hosts.data),
            partner_ids=list(self.partners.data or []),
            new_partners=_names(self.new_partners.data),
            capacity=self.capacity.data,
            guest_limit=self.guest_limit.data or 0,
            rsvp_deadline=self.instants["rsvp_deadline"],
            visibility=Visibility(self.visibility.data),
            show_both_languages=self.show_both_languages.data,
            slug=self.slug.data if "slug" in self else None,
        )


class StopForm(VenueFields, LocalTimes):
    title_en = english_title()
    title_es = spanish_title()
    starts_at = local_datetime(
        _l("Starts"), required_datetime(_l("Please enter when the stop starts."))
    )
    ends_at = local_datetime(_l("Ends (optional)"), Optional())
    timezone = time_zone()

    @staticmethod
    def data_from(stop: ItineraryStop) -> dict:
        zone = stop.timezone
        return {
            "title_en": stop.title_en,
            "title_es": stop.title_es,
            "starts_at": to_local(stop.starts_at, zone),
            "ends_at": to_local(stop.ends_at, zone) if stop.ends_at else None,
            "timezone": zone,
            "venue": stop.venue_id,
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.instants: dict[str, datetime | None] = {}
        if not self.timezone.errors:
            for name in ("starts_at", "ends_at"):
                self.instants[name] = self._instant(self[name], self.timezone.data)
        valid &= self._check_order(
            self.instants.get("starts_at"), self.instants.get("ends_at"), self.ends_at
        )
        valid &= self._check_new_venue()
        return valid and not self.errors

    def details(self) -> StopDetails:
        return StopDetails(
            title_en=self.title_en.data,
            title_es=self.title_es.data,
            starts_at=self.instants["starts_at"],
            ends_at=self.instants["ends_at"],
            timezone=self.timezone.data,
            venue_id=self.venue.data,
            new_venue=self.new_venue,
        )


class MessageForm(BaseForm):
    """A free-text message from the organizers to an event's attendees."""

    subject = StringField(
        _l("Subject"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter a subject.")), Length(max=150), single_line],
    )
    body = TextAreaField(
        _l("Message"),
        filters=[strip_filter],
        validators=[
            DataRequired(_l("Please write the message.")),
            Length(max=10000),
            no_control_characters,
        ],
        render_kw={"rows": 10},
    )
    audience = RadioField(
        _l("Send to"),
        choices=AUDIENCE_CHOICES,
        default=MessageRecipients.CONFIRMED.value,
        validators=[InputRequired(_l("Please choose who gets the message."))],
    )


class CancelEventForm(BaseForm):
    note = TextAreaField(
        _l("A note to attendees (optional)"),
        filters=[none_if_blank],
        validators=[Optional(), Length(max=2000), no_control_characters],
    )

"""Organizer forms for events and itinerary stops, and the notices they send.

Their shared fields and validators are in app/events/form_fields.py.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
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
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.events.form_fields import (
    AUDIENCE_CHOICES,
    VISIBILITY_CHOICES,
    LocalTimes,
    VenueFields,
    english_title,
    local_datetime,
    lowercase,
    non_blank_lines,
    organization_names,
    required_datetime,
    spanish_title,
    time_zone,
)
from app.events.itinerary import StopDetails
from app.events.labels import KIND_LABELS
from app.events.models import Event, EventKind, ItineraryStop, Organization, Venue, Visibility
from app.events.notifications import MessageRecipients
from app.events.services import EventDetails
from app.events.slugs import SLUG_MAX, SLUG_PATTERN
from app.forms import (
    BaseForm,
    CountField,
    no_control_characters,
    none_if_blank,
    single_line,
    strip_filter,
)
from app.timezones import (
    to_local,
)


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
    timezone = time_zone()
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
    capacity = CountField(
        _l("Capacity (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=100000, message=_l("Please enter a number of seats, 1 or more.")
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    guest_limit = CountField(
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
        zone = self.zone_for_times()
        if zone is not None:
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
            new_hosts=non_blank_lines(self.new_hosts.data),
            partner_ids=list(self.partners.data or []),
            new_partners=non_blank_lines(self.new_partners.data),
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
    # Where neither the form nor the venue says: the previous stop's, or the visit's (the view).
    fallback_zone: str | None = None

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
        zone = self.zone_for_times(self.fallback_zone)
        if zone is not None:
            for name in ("starts_at", "ends_at"):
                self.instants[name] = self._instant(self[name], zone)
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


class AddOwnerForm(BaseForm):
    """Another organizer who will manage the event, chosen among the active accounts."""

    user_id = SelectField(
        _l("Add an owner"), coerce=int, validators=[InputRequired(_l("Please choose someone."))]
    )

    def offer(self, accounts) -> None:
        self.user_id.choices = [
            (user.id, f"{user.name} <{user.email}>" if user.name else user.email)
            for user in accounts
        ]

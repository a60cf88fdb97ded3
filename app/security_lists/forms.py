"""Forms: the details a venue asks (inside the RSVP forms, and alone to correct them) and the
organizer's settings of an event's list.

The details' inputs keep the list's key as their name (`id_type`, `birth_date` …), with no
prefix. They are checked by app/security_lists/validation.py, as the service checks them again.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.db_types import utcnow
from app.events.form_fields import LocalTimes, local_datetime
from app.forms import BaseForm
from app.privacy.notices import current_notice
from app.security_lists import venues
from app.security_lists.errors import ConsentMissing, InvalidDetails, SecurityListError
from app.security_lists.labels import (
    FIELD_HINTS,
    FIELD_LABELS,
    ID_TYPE_LABELS,
    TEMPLATE_LABELS,
    error_message,
    problem_message,
)
from app.security_lists.models import SecurityList, VenueTemplate
from app.security_lists.services import GivenDetails, last_day
from app.security_lists.validation import clean_details, country_names, masked

_CODE = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


def _text(key: str, **render_kw) -> StringField:
    return StringField(FIELD_LABELS[key], render_kw=render_kw or None)


class SecurityFields(BaseForm):
    """Every detail a venue may ask, and the consent given with them. Only those of the list
    passed to `ask_details` are shown, checked and given; a form never asked has none."""

    given_names = _text(venues.GIVEN_NAMES, autocomplete="given-name")
    paternal_surname = _text(venues.PATERNAL_SURNAME, autocomplete="family-name")
    maternal_surname = _text(venues.MATERNAL_SURNAME, autocomplete="off")
    birth_date = _text(venues.BIRTH_DATE, type="date", autocomplete="bday")
    # Checked against the countries by validation.py, with its own message.
    nationality = SelectField(FIELD_LABELS[venues.NATIONALITY], choices=[], validate_choice=False)
    id_type = SelectField(FIELD_LABELS[venues.ID_TYPE], choices=[], validate_choice=False)
    id_number = _text(venues.ID_NUMBER, **_CODE)
    id_expiry = _text(venues.ID_EXPIRY, type="date", autocomplete="off")
    plate = _text(venues.PLATE, **_CODE)
    plate_region = _text(venues.PLATE_REGION, autocomplete="off")
    vehicle_make = _text(venues.VEHICLE_MAKE, autocomplete="off")
    vehicle_colour = _text(venues.VEHICLE_COLOUR, autocomplete="off")
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree to give these details to the venue.")
    )

    security_list: SecurityList | None = None
    asked_details: tuple[str, ...] = ()
    hints: dict[str, str] = FIELD_HINTS

    def ask_details(self, security_list: SecurityList | None, language: str) -> None:
        """Ask what `security_list` asks (nothing for None). The organization is not asked:
        the RSVP's own is used."""
        self.security_list = security_list
        if security_list is None:
            self.asked_details = ()
            return
        self.asked_details = tuple(k for k in security_list.fields if k not in venues.FROM_RSVP)
        choose = SelectChoice("", _l("Choose…"))
        self.nationality.choices = [choose] + [
            SelectChoice(code, name) for code, name in country_names(language)
        ]
        self.id_type.choices = [choose] + [
            SelectChoice(id_type.value, label) for id_type, label in ID_TYPE_LABELS.items()
        ]

    @property
    def wants_details(self) -> bool:
        """Whether this submission must carry the details (an RSVP form: when attending)."""
        return True

    @property
    def asks_details(self) -> bool:
        """The list asks details of this submission: the caller gets them with the privacy
        notice's version (`given_details`)."""
        return self.security_list is not None and self.wants_details

    def typed_details(self) -> dict[str, str]:
        return {key: self[key].data or "" for key in self.asked_details}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.asks_details:
            return valid
        if not self.privacy_consent.data:
            self.privacy_consent.errors.append(_consent_needed())
            valid = False
        event = self.security_list.event
        try:
            clean_details(
                self.asked_details,
                self.typed_details(),
                today=utcnow().astimezone(event.zone).date(),
                event_day=last_day(event),
            )
        except InvalidDetails as invalid:
            self.show_error(invalid)
            valid = False
        return valid

    def show_error(self, error: SecurityListError) -> None:
        """Put the service's refusal of the details next to the fields concerned."""
        if isinstance(error, InvalidDetails):
            for key, problem in error.problems.items():
                if key in self.asked_details:
                    self[key].errors.append(problem_message(problem))
                else:  # not on this form: the RSVP's organization, or a field just added
                    self.form_errors.append(f"{FIELD_LABELS[key]}: {problem_message(problem)}")
        elif isinstance(error, ConsentMissing):
            self.privacy_consent.errors.append(_consent_needed())
        else:
            self.form_errors.append(error_message(error))

    def given_details(self) -> GivenDetails | None:
        """What the person gave for the list, with the version of the privacy notice in force
        (the one the box links to) if they ticked it; None when the list asks nothing of this
        submission."""
        if not self.asks_details:
            return None
        consented = current_notice().version if self.privacy_consent.data else None
        return GivenDetails(self.typed_details(), consented)


class SecurityDetailsForm(SecurityFields):
    """The attendee correcting their details on their personal page.

    The page shows their details as stored, but never the whole ID number: left blank, the
    number on record is kept (`kept_number`).
    """

    kept_number: str | None = None

    @classmethod
    def for_details(cls, security_list: SecurityList, stored: dict, language: str, **kwargs):
        """The form showing `stored` (on GET; on POST what was sent), the ID number aside."""
        data = {k: v for k, v in stored.items() if k != venues.ID_NUMBER}
        form = cls(data=data, **kwargs)
        form.ask_details(security_list, language)
        form.kept_number = stored.get(venues.ID_NUMBER)
        if form.kept_number:
            form.hints = FIELD_HINTS | {
                venues.ID_NUMBER: _(
                    "Leave it blank to keep the number ending in %(last)s.",
                    last=masked(form.kept_number).lstrip("•"),
                )
            }
        return form

    def typed_details(self) -> dict[str, str]:
        typed = super().typed_details()
        if self.kept_number and not typed.get(venues.ID_NUMBER, "").strip():
            typed[venues.ID_NUMBER] = self.kept_number
        return typed


def _consent_needed() -> str:
    return _("Please confirm that you have read the privacy notice.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SecurityListForm(BaseForm, LocalTimes):
    """The organizer's settings of an event's security list."""

    template = RadioField(
        _l("Venue"),
        choices=[SelectChoice(t.value, label) for t, label in TEMPLATE_LABELS.items()],
        validators=[InputRequired(_l("Please choose the kind of venue."))],
    )
    vehicle = BooleanField(_l("Visitors coming by car give their vehicle too (plate, make, color)"))
    # Offered for the template saved; a new template asks all its fields (see the view).
    fields = MultiCheckboxField(_l("Details to ask"), choices=[], validate_choice=False)
    due_at = local_datetime(_l("Due at the venue (optional)"), Optional())

    def offer_fields(self, template: VenueTemplate, vehicle: bool) -> None:
        keys = venues.template_fields(template, vehicle)
        self.fields.choices = [SelectChoice(key, FIELD_LABELS[key]) for key in keys]

    @property
    def chosen_template(self) -> VenueTemplate:
        return VenueTemplate(self.template.data)

    def due_instant(self, zone: str) -> datetime | None:
        """The due time as an instant in the event's zone (None if blank or not one)."""
        return self._instant(self.due_at, zone)

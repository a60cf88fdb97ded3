"""Forms of the attendee list and the door: filters (a GET form), check-in buttons, walk-ins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import BaseForm, email_address, single_line, strip_filter
from app.rsvps.attendee_list import SEARCH_MAX_LENGTH, AttendeeFilters, ListViewer
from app.rsvps.forms import LANGUAGE_CHOICES, AnswerFields
from app.rsvps.labels import STATUS_LABELS
from app.rsvps.models import RsvpStatus

CHECKED_IN_CHOICES = {"yes": True, "no": False}


class AttendeeFilterForm(Form):
    """Read from the query string, so filtered views can be bookmarked and shared; a plain
    WTForms form, since a GET changes nothing and needs no CSRF token."""

    q = StringField(_l("Search"), filters=[strip_filter])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            *(SelectChoice(s.value, STATUS_LABELS[s]) for s in RsvpStatus),
        ],
        default="",
    )
    checked_in = SelectField(
        _l("Checked in"),
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("yes", _l("Checked in")),
            SelectChoice("no", _l("Not checked in")),
        ],
        default="",
    )

    def filters(self, audience: ListViewer = ListViewer.ORGANIZERS) -> AttendeeFilters:
        """The filters asked for; a value that is not one of the choices counts as no filter.

        A search too long to run raises SearchTooLong (the organizer workspace answers it with
        a 400 that says so) rather than quietly listing or exporting everyone.
        """
        self.validate()
        status = "" if self.status.errors else self.status.data
        checked_in = "" if self.checked_in.errors else self.checked_in.data
        return AttendeeFilters(
            status=RsvpStatus(status) if status else None,
            checked_in=CHECKED_IN_CHOICES.get(checked_in),
            search=self.q.data or "",
            audience=audience,
        )


def filter_args(filters: AttendeeFilters) -> dict[str, str]:
    """The query string that reproduces `filters` (for links to exports and other pages)."""
    args = {}
    if filters.search:
        args["q"] = filters.search
    if filters.status is not None:
        args["status"] = filters.status.value
    if filters.checked_in is not None:
        args["checked_in"] = "yes" if filters.checked_in else "no"
    if filters.for_host:
        args["audience"] = filters.audience.value
    return args


class WalkInForm(BaseForm):
    """Only the name is required: people at the door often have no email to give, or none
    they want to give."""

    q = HiddenField(filters=[strip_filter], validators=[Length(max=SEARCH_MAX_LENGTH)])
    name = StringField(
        _l("Full name"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter a name.")), Length(max=120), single_line],
        render_kw={"autocomplete": "off"},
    )
    organization = StringField(
        _l("Organization (optional)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=200), single_line],
        render_kw={"autocomplete": "off"},
    )
    email = StringField(
        _l("Email (optional)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=254), email_address],
        render_kw={"type": "email", "autocomplete": "off", "inputmode": "email"},
    )
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")


class AttendeeAnswerForm(AnswerFields):
    """An organizer changing an attendee's answer for them (after a call or an email)."""

    response = RadioField(
        _l("Response"),
        choices=[SelectChoice("yes", _l("Will attend")), SelectChoice("no", _l("Won't attend"))],
        validators=[InputRequired(_l("Please choose a response."))],
    )
    guests = SelectField(_l("Guests"), coerce=int, default=0)
    notify = BooleanField(_l("Email the attendee what changed"), default=True)
    privacy_consent = BooleanField(
        _l("They have read the privacy notice and agree to give these details to the venue.")
    )

"""The organizer's invitation forms: adding invitees, and resending (maybe to a corrected
address) or revoking one."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import BaseForm, email_address, strip_filter
from app.rsvps.forms import LANGUAGE_CHOICES


class AddInviteesForm(BaseForm):
    invitees = TextAreaField(
        _l("Paste invitees"),
        validators=[Length(max=200_000)],
        render_kw={"rows": 8, "spellcheck": "false", "autocomplete": "off"},
    )
    csv_file = FileField(
        _l("Or upload a CSV file"),
        validators=[FileAllowed(["csv", "txt"], _l("Please choose a .csv file."))],
        render_kw={"accept": ".csv,text/csv,text/plain"},
    )
    language = RadioField(
        _l("Language of the invitation email"),
        choices=LANGUAGE_CHOICES,
        validators=[InputRequired(_l("Please choose a language."))],
    )

    @property
    def pasted(self) -> str:
        return (self.invitees.data or "").strip()

    @property
    def has_file(self) -> bool:
        return bool(self.csv_file.data and self.csv_file.data.filename)

    def validate(self, extra_validators=None) -> bool:
        """One list at a time, so that every reported line number points into one place."""
        if not super().validate(extra_validators):
            return False
        if self.pasted and self.has_file:
            self.form_errors.append(_l("Paste a list or choose a file, not both."))
            return False
        if not self.pasted and not self.has_file:
            self.form_errors.append(_l("Paste some invitees or choose a CSV file."))
            return False
        return True


class ResendForm(BaseForm):
    language = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
        validators=[InputRequired(_l("Please choose a language."))],
    )


class ChangeAddressForm(BaseForm):
    """The invitation sent again, to a corrected address (the first one bounced)."""

    email = StringField(
        _l("Corrected email address"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter an email.")), Length(max=254), email_address],
        render_kw={"type": "email", "autocomplete": "off"},
    )

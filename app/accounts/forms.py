from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.accounts.models import Role
from app.accounts.services import MIN_PASSWORD_LENGTH
from app.events.form_fields import optional_id
from app.events.models import Organization
from app.forms import BaseForm, email_address, single_line, strip_filter


def chosen_password(label) -> PasswordField:
    """A password being chosen, held to the same rule as `services.check_password_strength`."""
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Please choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Passwords need at least %(min)d characters."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(BaseForm):
    email = StringField(
        _l("Email"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter your email.")), Length(max=254)],
        render_kw={"type": "email", "autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class NewAccountForm(BaseForm):
    name = StringField(
        _l("Name"), filters=[strip_filter], validators=[Length(max=120), single_line]
    )
    email = StringField(
        _l("Email"),
        filters=[strip_filter],
        validators=[DataRequired(_l("Please enter an email.")), Length(max=254), email_address],
        render_kw={"type": "email"},
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(Role.ORGANIZER.value, _l("Organizer")),
            SelectChoice(Role.HOST.value, _l("Host partner (read-only)")),
            SelectChoice(Role.ADMIN.value, _l("Admin (also manages accounts)")),
        ],
        default=Role.ORGANIZER.value,
    )
    # Only a host partner account has one: whose events' host lists it reads.
    organization = SelectField(_l("Organization"), coerce=optional_id)
    password = chosen_password(_l("Initial password"))

    def offer(self, organizations: list[Organization]) -> None:
        """Fill the organizations to choose from; call before validating or rendering."""
        self.organization.choices = [SelectChoice("", _l("No organization"))] + [
            SelectChoice(str(o.id), o.name) for o in organizations
        ]

    @property
    def organization_id(self) -> int | None:
        """The chosen organization, for a host partner account only (others ignore it)."""
        return self.organization.data if self.role.data == Role.HOST.value else None


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = chosen_password(_l("New password"))

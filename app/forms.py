"""The base of every form, and validators and filters shared by forms across domains."""

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import ValidationError

from app.text import normalize_newlines

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")


def single_line(form, field) -> None:
    """Names, titles and the like: one line of text, no control characters."""
    if field.data and (_CONTROL.search(field.data) or _LINE_BREAK.search(field.data)):
        raise ValidationError(_l("Please use a single line without special characters."))


def no_control_characters(form, field) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError(_l("Please remove the special characters."))


def email_address(form, field) -> None:
    """A syntactically valid address (internationalized ones too), normalized in place."""
    if not field.data:
        return
    try:
        result = validate_email(field.data, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(
            _l("Please enter a valid email address, like name@example.com.")
        ) from None
    field.data = result.normalized


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def none_if_blank(value):
    value = strip_filter(value)
    return value or None


def normalize_line_endings(value):
    return normalize_newlines(value) if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Every form in the app. Its text fields (single-line and textareas alike) get their line
    endings normalized before any other filter or validator runs: browsers send a textarea's
    line breaks as CRLF, and what is stored, shown and emailed is split on "\n".

    Passwords are left exactly as typed.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = [normalize_line_endings, *unbound_field.kwargs.get("filters", ())]
                return unbound_field.bind(form=form, filters=filters, **options)
            return unbound_field.bind(form=form, **options)


class ActionForm(BaseForm):
    """Only the CSRF token, for actions that are a button: publish, revoke, cancel, a new link."""

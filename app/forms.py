"""Validators shared by forms across domains."""

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

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

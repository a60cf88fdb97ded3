"""The base of every form, and validators and filters shared by forms across domains."""

import re

from email_validator import EmailNotValidError, validate_email
from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, IntegerField, PasswordField, StringField
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


class CountField(IntegerField):
    """A whole number of things (seats, guests) as typed, of at most MAX_DIGITS digits.

    Longer numbers are no count anyone means, and WTForms' NumberRange cannot even compare
    them (it turns them into a float, which overflows): they are refused like any non-number.
    """

    MAX_DIGITS = 9

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist[0].strip().lstrip("+-")) > self.MAX_DIGITS:
            self.data = None
            raise ValueError(_l("Please enter a smaller number."))
        super().process_formdata(valuelist)


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

    A file can only be sent in a file field: one sent under a text field's name would become
    that field's value, which no text filter or validator can read, so the request is refused.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            wrapped = super().wrap_formdata(form, formdata)
            if wrapped is not None and request.files:
                refuse_misplaced_files(form)
            return wrapped

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = [normalize_line_endings, *unbound_field.kwargs.get("filters", ())]
                return unbound_field.bind(form=form, filters=filters, **options)
            return unbound_field.bind(form=form, **options)


def refuse_misplaced_files(form) -> None:
    """A 400 when the request holds a file under the name of one of `form`'s other fields.

    Files under names the form does not have are left alone: a page may build several forms
    from one request, and each reads only its own fields.
    """
    text_fields = {field.name for field in form if not isinstance(field, FileField)}
    if any(name in text_fields for name in request.files):
        abort(400, _("A file was sent where the form expects text. Please fill in the form again."))


class ActionForm(BaseForm):
    """Only the CSRF token, for actions that are a button: publish, revoke, cancel, a new link."""

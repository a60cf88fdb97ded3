"""The admin's form for a new version of the privacy notice."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm, no_control_characters, strip_filter

# Generous for a legal text in one language, well under the request size limit for two.
NOTICE_MAX_LENGTH = 100_000


def notice_body(label, required_message) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip_filter],
        validators=[
            DataRequired(required_message),
            Length(max=NOTICE_MAX_LENGTH),
            no_control_characters,
        ],
        render_kw={"rows": 30},
    )


class NoticeForm(BaseForm):
    body_en = notice_body(_l("Notice in English"), _l("Please write the notice in English."))
    body_es = notice_body(_l("Notice in Spanish"), _l("Please write the notice in Spanish."))

"""The app's own error pages, in the visitor's language, for every error a visitor can meet.

Werkzeug's default descriptions are English and written for developers; a page shows them
never. A view that knows better says so with `abort(code, message)`, where `message` is a
translated string, and the page shows that instead of the code's general message.
"""

import sys

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2.filters import do_filesizeformat
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.database_faults import is_database_fault
from app.extensions import db

ERROR_CODES = (400, 403, 404, 405, 409, 413, 422, 429, 500, 503)
# How long a 503 asks clients to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 120

_TITLES = {
    400: _l("We couldn't read that request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("That page can't be used that way"),
    409: _l("That couldn't be done"),
    413: _l("Too large to send"),
    422: _l("We couldn't use what you sent"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("We can't take answers right now"),
}

_MESSAGES = {
    400: _l("Something in the request was missing or malformed. Please go back and try again."),
    403: _l("You don't have permission to see this page."),
    404: _l("We couldn't find that page. The event may have moved, or the link may be incomplete."),
    405: _l(
        "This address is for sending a form, not for opening. Please go back to the page "
        "with the form and use it there."
    ),
    409: _l("Something changed in the meantime. Please reload the page and try again."),
    422: _l("Please go back, check what you entered, and try again."),
    429: _l("Please wait a minute and try again."),
    500: _l("The problem is on our side. Please try again in a moment."),
    503: _l("Please try again in a few minutes. Nothing you sent was saved."),
}


def _own_message(error: HTTPException) -> str | None:
    """The message a view passed to abort(), if it passed one rather than Werkzeug's default.

    A 429's description is the limiter's rule ("10 per 1 minute"), in English: never shown.
    """
    description = getattr(error, "description", None)
    if not description or description == type(error).description or error.code == 429:
        return None
    return str(description)


def render_error(error: Exception):
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code not in _TITLES:
        code = 500
    if isinstance(error, InternalServerError) or code == 500:
        message = _MESSAGES[500]  # never an exception's text
    elif code == 413:
        message = _(
            "What you sent is larger than this site accepts (%(size)s at most). Please shorten "
            "it and try again.",
            size=do_filesizeformat(current_app.config["MAX_CONTENT_LENGTH"]),
        )
    else:
        message = _own_message(error) or _MESSAGES[code]
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code == 503 else {}
    page = render_template("errors/error.html", title=_TITLES[code], message=message)
    return page, code, headers


def render_database_fault(error: Exception):
    """An OperationalError that reached no view's own handling: 503 when the database can't
    write or answer now (disk full, read-only, locked, gone), a 500 for anything else."""
    db.session.rollback()
    if not is_database_fault(error):
        current_app.log_exception(sys.exc_info())
        return render_error(InternalServerError())
    current_app.logger.error("database fault: %s", error.orig)
    return render_error(ServiceUnavailable())

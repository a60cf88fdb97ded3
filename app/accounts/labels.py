"""What account refusals say to a person, in their language."""

from flask_babel import gettext as _

from app.accounts.services import AccountError, EmailTaken, WeakPassword


def error_message(error: AccountError) -> str:
    """The message for a refused account change, for a form or the command line."""
    if isinstance(error, EmailTaken):
        return _("An account with this email already exists.")
    if isinstance(error, WeakPassword):
        return _("Passwords need at least %(min)d characters.", min=error.min_length)
    raise error

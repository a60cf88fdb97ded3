"""What account refusals say to a person, in their language."""

from flask_babel import gettext as _

from app.accounts.services import (
    AccountError,
    EmailTaken,
    GuessablePassword,
    HostNeedsOrganization,
    HostsSeeNoSecurityLists,
    WeakPassword,
)


def error_message(error: AccountError) -> str:
    """The message for a refused account change, for a form or the command line."""
    if isinstance(error, EmailTaken):
        return _("An account with this email already exists.")
    if isinstance(error, GuessablePassword):
        return _(
            "This password is too easy to guess: it is common, follows a simple pattern, or "
            "uses your name or email. Try a few unrelated words."
        )
    if isinstance(error, WeakPassword):
        return _("Passwords need at least %(min)d characters.", min=error.min_length)
    if isinstance(error, HostNeedsOrganization):
        return _("A host account needs the organization it speaks for.")
    if isinstance(error, HostsSeeNoSecurityLists):
        return _("Host partner accounts can't see security lists.")
    raise error

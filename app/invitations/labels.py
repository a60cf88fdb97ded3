"""What invitation outcomes and refusals say to an organizer."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.invitations.parsing import MAX_ENTRIES, MAX_NAME_LENGTH, Entry, LineProblem, ListProblem
from app.invitations.services import (
    AddressAlreadyInvited,
    AlreadyAnswered,
    InvitationError,
    InvitationsClosed,
    NotPublished,
)
from app.rsvps.labels import CLOSED_MESSAGES

LINE_PROBLEMS = {
    LineProblem.NO_EMAIL: _l("No email address found."),
    LineProblem.SEVERAL_EMAILS: _l("More than one email address: put one person per line."),
    LineProblem.INVALID_EMAIL: _l("“%(value)s” is not a valid email address."),
    LineProblem.STRAY_BRACKETS: _l("Angle brackets go around the email address only."),
    LineProblem.NAME_TOO_LONG: _l("The name is longer than %(value)s characters."),
    LineProblem.CONTROL_CHARACTERS: _l("The name contains special characters."),
    LineProblem.UNKNOWN_LANGUAGE: _l("Unknown language “%(value)s”: use en or es."),
}

LIST_PROBLEMS = {
    ListProblem.NOT_TEXT: _l(
        "That file can't be read as a CSV. In your spreadsheet, save it as “CSV UTF-8”."
    ),
    ListProblem.NO_EMAIL_COLUMN: _l(
        "The header row has no email column. Name it “email” (or “correo”)."
    ),
    ListProblem.TOO_MANY: _l("That is more than %(value)s people. Please send them in parts."),
    ListProblem.EMPTY: _l("There is nobody on that list."),
}


def line_problem(entry: Entry) -> str:
    value = MAX_NAME_LENGTH if entry.problem is LineProblem.NAME_TOO_LONG else entry.detail
    return str(LINE_PROBLEMS[entry.problem]) % {"value": value}


def list_problem(problem: ListProblem) -> str:
    return str(LIST_PROBLEMS[problem]) % {"value": MAX_ENTRIES}


def sending_refused(error: InvitationError) -> str:
    if isinstance(error, NotPublished):
        return _(
            "This event is a draft. Publish it first: invitations are emailed right away, and "
            "their links only open published events."
        )
    if isinstance(error, InvitationsClosed):
        return _("No invitations can be sent: %(reason)s", reason=CLOSED_MESSAGES[error.reason])
    if isinstance(error, AddressAlreadyInvited):
        return _(
            "%(email)s is already invited to this event. Nothing was changed.", email=error.email
        )
    if isinstance(error, AlreadyAnswered):
        return _(
            "This invitee has already answered from their address, so the invitation can't be "
            "moved to another one."
        )
    raise error

"""Why details or a list were refused. Services raise these; labels.py says them to a person.

An answer refused for want of details is an RSVP refusal (app/rsvps/errors.py DetailsRequired);
a list refused for want of an encryption key is app/privacy/encryption.py EncryptionUnavailable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.security_lists.validation import Problem


class SecurityListError(Exception):
    """A rule stopped the change; the view turns it into a message."""


class InvalidDetails(SecurityListError):
    """Some details cannot be right: a Problem for each field key. The message names the keys
    only, never what was typed (it may end up in a log)."""

    def __init__(self, problems: dict[str, Problem]):
        super().__init__("invalid: " + ", ".join(sorted(problems)))
        self.problems = problems


class ConsentMissing(SecurityListError):
    """Details are taken only from someone who read the privacy notice (its version)."""

    def __init__(self):
        super().__init__("no consent to the privacy notice")


class NoSecurityList(SecurityListError):
    """The event's venue asks for no details (or the list was turned off meanwhile)."""

    def __init__(self):
        super().__init__("the event has no security list")


class NotAttending(SecurityListError):
    """Only those coming give details: someone who declined or cancelled has none."""

    def __init__(self):
        super().__init__("details are kept only for attendees")


class NoFieldsChosen(SecurityListError):
    def __init__(self):
        super().__init__("a security list asks at least one field")


class DueAfterStart(SecurityListError):
    """The venue needs the list before the event, not after it began."""

    def __init__(self):
        super().__init__("due after the event starts")

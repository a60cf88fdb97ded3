"""Who may read an event's security list (the ID details attendees gave for the venue).

Stricter than managing the event (app/events/access.py): an organizer or admin also needs the
`sees_security_lists` permission, which an admin grants account by account on the accounts
page. Admins don't get it implicitly: least privilege, since an ID number or a date of birth
is needed by whoever sends the list to the venue, not by everyone who edits events. An admin
who sends lists grants it to themselves, and that grant is in the audit log like any other.
Host accounts never see a list, whatever their flag says.
"""

from __future__ import annotations

from app.accounts.models import User
from app.events.access import can_manage
from app.events.models import Event


def may_see_security_lists(user: User) -> bool:
    """The account holds the permission at all (used to decide whether to offer the link)."""
    return user.active and not user.is_host and user.sees_security_lists


def can_see_security_list(user: User, event: Event) -> bool:
    """See and export the decrypted details of the event's security list."""
    return may_see_security_lists(user) and can_manage(user, event)

"""Who may see and change which event (issue 17), decided here for every caller.

- An admin manages every event.
- An organizer manages the events they own: the ones they created, and those an owner (or an
  admin) added them to. An event without owners (made before owners existed, and whose creator
  the audit log did not know) is managed by admins only, who can give it owners.
- A host account reads, and only reads, the host list (attendees who agreed to be shared with
  the host, without private columns) of the events its organization hosts. Nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, false, true
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role, User
from app.audit import services as audit
from app.events.errors import LastOwner, OwnerRefused
from app.events.models import Event, EventOrganization, OrganizationRole
from app.events.queries import find_event_by_slug
from app.extensions import db


def can_manage(user: User, event: Event) -> bool:
    """See and change everything about the event: its page, edits, attendees, check-in,
    invitations, change log."""
    if user.is_admin:
        return True
    return user.role is Role.ORGANIZER and any(owner.id == user.id for owner in event.owners)


def hosts_event(user: User, event: Event) -> bool:
    """The account speaks for one of the event's hosts (partners do not count)."""
    return user.is_host and any(
        link.organization_id == user.organization_id and link.role is OrganizationRole.HOST
        for link in event.organizations
    )


def can_view_host_list(user: User, event: Event) -> bool:
    """Read the host list of the event (and its exports)."""
    return can_manage(user, event) or hosts_event(user, event)


def sees_host_list_only(user: User, event: Event) -> bool:
    """Whoever may read the host list without managing the event gets only the host list,
    whatever audience the request asked for."""
    return not can_manage(user, event)


def event_for(
    user: User, slug: str, allowed: Callable[[User, Event], bool] = can_manage
) -> Event | None:
    """The event at `slug` if `user` may open it (by `allowed`), else None. A missing event and
    a forbidden one look alike to the caller (both a 404), so nobody learns which exist."""
    event = find_event_by_slug(slug)
    if event is None or not allowed(user, event):
        return None
    return event


def visible_events(user: User) -> ColumnElement[bool]:
    """A WHERE clause for the events `user` can open in the workspace: those they manage, or,
    for a host account, those its organization hosts."""
    if user.is_admin:
        return true()
    if user.role is Role.ORGANIZER:
        return Event.owners.any(User.id == user.id)
    if user.is_host:
        return Event.organizations.any(
            and_(
                EventOrganization.organization_id == user.organization_id,
                EventOrganization.role == OrganizationRole.HOST,
            )
        )
    return false()


def possible_owners(event: Event) -> list[User]:
    """Active organizer and admin accounts that do not own the event yet, by email."""
    owner_ids = [owner.id for owner in event.owners]
    return list(
        db.session.scalars(
            db.select(User)
            .where(
                User.active.is_(True),
                User.role.in_((Role.ORGANIZER, Role.ADMIN)),
                User.id.not_in(owner_ids),
            )
            .order_by(User.email)
        )
    )


def add_owner(event: Event, user: User, *, actor: User | None = None) -> bool:
    """Make `user` an owner of the event; False if they already were. Host and deactivated
    accounts can't own events."""
    if user.is_host or not user.active:
        raise OwnerRefused()
    if any(owner.id == user.id for owner in event.owners):
        return False
    event.owners.append(user)
    db.session.flush()
    audit.log_action(actor, "updated", "event", event, label=event.title_en, owner_added=user.email)
    return True


def remove_owner(event: Event, user: User, *, actor: User | None = None) -> bool:
    """Take `user` off the event's owners; False if they were not one. The last owner stays,
    so that an event is never silently left to the admins."""
    if not any(owner.id == user.id for owner in event.owners):
        return False
    if len(event.owners) == 1:
        raise LastOwner()
    event.owners.remove(user)
    db.session.flush()
    audit.log_action(
        actor, "updated", "event", event, label=event.title_en, owner_removed=user.email
    )
    return True

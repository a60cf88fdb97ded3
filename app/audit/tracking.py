"""Recording organizers' changes without each view having to remember to.

A session hook notes every change a signed-in organizer's request makes to events, stops, RSVPs
and invitations, field by field, and writes the entries in the same transaction. Actions that
change no row (an export, a message) are recorded explicitly with `record()`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.events.models import Event, ItineraryStop
from app.extensions import db
from app.invitations.models import Invitation
from app.rsvps.models import Rsvp

# What is tracked, under which name, and which columns are noise or secret.
TRACKED = {Event: "event", ItineraryStop: "stop", Rsvp: "rsvp", Invitation: "invitation"}
IGNORED = {
    "id",
    "updated_at",
    "created_at",
    "token_nonce",
    "email_key",
    "sequence",
    "ical_sequence_offset",
}
_PENDING = "audit_pending"


def _organizer():
    """The signed-in user of this request, if Flask-Login has already loaded one.

    Read from `g` rather than through `current_user`: loading a user queries the database,
    which must not happen in the middle of a flush. Organizer views load it before anything.
    """
    if not has_request_context():
        return None
    user = g.get("_login_user")
    return user if user is not None and user.is_authenticated else None


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _changes(obj, new: bool) -> dict:
    changes = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in IGNORED:
            continue
        history = inspect(obj).attrs[attr.key].history
        if new:
            if history.added and history.added[0] is not None:
                changes[attr.key] = [None, _plain(history.added[0])]
        elif history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changes[attr.key] = [_plain(before), _plain(after)]
    return changes


def rsvp_label(rsvp: Rsvp) -> str:
    return f"{rsvp.name} <{rsvp.email}>"


def _label(obj) -> str:
    if isinstance(obj, Event):
        return obj.title_en
    if isinstance(obj, ItineraryStop):
        return obj.title_en
    return rsvp_label(obj)


def _event_id(obj) -> int | None:
    return obj.id if isinstance(obj, Event) else obj.event_id


def _before_flush(session: Session, flush_context, instances) -> None:
    user = _organizer()
    if user is None:
        return
    pending = session.info.setdefault(_PENDING, [])
    for action, objects in (("created", session.new), ("updated", session.dirty)):
        for obj in objects:
            if type(obj) in TRACKED:
                changes = _changes(obj, new=action == "created")
                if changes:
                    pending.append((user, action, obj, changes))
    for obj in session.deleted:
        if type(obj) in TRACKED:
            pending.append((user, "deleted", obj, {}))


def _after_flush_postexec(session: Session, flush_context) -> None:
    """Ids of new rows are known now; the entries go in with the next flush (commit does it)."""
    for user, action, obj, changes in session.info.pop(_PENDING, []):
        session.add(
            AuditEntry(
                user_id=user.id,
                user_email=user.email,
                event_id=_event_id(obj),
                action=action,
                subject=TRACKED[type(obj)],
                subject_id=obj.id,
                label=_label(obj)[:300],
                changes=changes,
            )
        )


def _entry(
    action: str, subject: str, event: Event | None, label: str, details: dict, subject_id=None
):
    user = _organizer()
    if user is None:
        return None
    return AuditEntry(
        user_id=user.id,
        user_email=user.email,
        event_id=event.id if event is not None else None,
        action=action,
        subject=subject,
        subject_id=subject_id,
        label=label[:300],
        changes={key: [None, _plain(value)] for key, value in details.items()},
    )


def record(
    action: str,
    subject: str,
    event: Event | None,
    label: str = "",
    subject_id: int | None = None,
    **details,
) -> None:
    """Log an action the session hook cannot see (no row changed, or changed by a bulk
    UPDATE), within the caller's transaction."""
    entry = _entry(action, subject, event, label, details, subject_id)
    if entry is not None:
        db.session.add(entry)


def record_now(action: str, subject: str, event: Event | None, label: str = "", **details):
    """Log an action in a transaction of its own, committed at once: for reads such as exports,
    whose request has nothing else to commit and must not expire what it is streaming."""
    entry = _entry(action, subject, event, label, details)
    if entry is not None:
        with Session(db.engine) as session, session.begin():
            session.add(entry)


def _forget(session: Session, previous_transaction=None) -> None:
    session.info.pop(_PENDING, None)  # a failed flush's changes never happened


def start_tracking() -> None:
    """Install the session hooks once per process."""
    if not sa_event.contains(Session, "before_flush", _before_flush):
        sa_event.listen(Session, "before_flush", _before_flush)
        sa_event.listen(Session, "after_flush_postexec", _after_flush_postexec)
        sa_event.listen(Session, "after_soft_rollback", _forget)

"""Writing the audit log, from inside the operations that change things (as Indico's event log).

Each service that acts on an organizer's behalf takes the acting user (`actor`) and logs here,
in the caller's transaction, so an entry is stored with its change or not at all. Without an
actor (the CLI, the demo seed, an attendee's own answer) nothing is logged and nothing extra is
read. Entries keep the field-by-field detail: each logged column's value before and after.

    with audit.watching(actor, rsvp):   # one "updated" entry with what the block changed
        ...
    audit.log_created(actor, stop)      # after the flush that gave it an id
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.events.models import Event, ItineraryStop
from app.extensions import db
from app.invitations.models import Invitation
from app.rsvps.models import Rsvp

if TYPE_CHECKING:
    from app.accounts.models import User

# What is logged, under which name, and which columns are noise, derived or secret.
SUBJECTS = {Event: "event", ItineraryStop: "stop", Rsvp: "rsvp", Invitation: "invitation"}
IGNORED = frozenset(
    {
        "id",
        "uid",
        "updated_at",
        "created_at",
        "token_nonce",
        "email_key",
        "search_text",
        "sequence",
        "ical_sequence_offset",
    }
)

Row = Event | ItineraryStop | Rsvp | Invitation


def _plain(value):
    """A column value as JSON can store it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _values(obj: Row) -> dict[str, object]:
    return {
        attr.key: getattr(obj, attr.key)
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in IGNORED
    }


def _label(obj: Row) -> str:
    if isinstance(obj, Event | ItineraryStop):
        return obj.title_en
    return f"{obj.name} <{obj.email}>"


def _event_id(obj: Row) -> int | None:
    return obj.id if isinstance(obj, Event) else obj.event_id


def _entry(
    actor: User,
    action: str,
    subject: str,
    event_id: int | None,
    label: str,
    subject_id: int | None,
    changes: dict[str, list],
) -> AuditEntry:
    return AuditEntry(
        user_id=actor.id,
        user_email=actor.email,
        event_id=event_id,
        action=action,
        subject=subject,
        subject_id=subject_id,
        label=label[:300],
        changes=changes,
    )


def _row_entry(actor: User, action: str, obj: Row, changes: dict[str, list]) -> AuditEntry:
    return _entry(actor, action, SUBJECTS[type(obj)], _event_id(obj), _label(obj), obj.id, changes)


class Watch:
    """Some rows' logged values before an operation changes them.

    `log()` writes one entry per row that changed, with each changed field as [before, after].
    Values are compared after a flush rather than read from attribute history: the operations
    flush midway (a new venue, a seat count), which would wipe that history.
    """

    def __init__(self, actor: User | None, *rows: Row, action: str = "updated"):
        self.actor = actor
        self.action = action
        self._before: list[tuple[Row, dict[str, object]]] = []
        self.add(*rows)

    def add(self, *rows: Row) -> None:
        """Watch more rows, from their values now."""
        if self.actor is not None:
            self._before.extend((row, _values(row)) for row in rows)

    def log(self) -> None:
        """Log what changed since each row was added, once; rows deleted since are skipped
        (their removal has its own entry)."""
        if not self._before:
            return
        db.session.flush()  # foreign keys follow their relationships only at a flush
        for row, before in self._before:
            if inspect(row).deleted or inspect(row).detached:
                continue
            changes = {
                key: [_plain(before[key]), _plain(value)]
                for key, value in _values(row).items()
                if value != before[key]
            }
            if changes:
                db.session.add(_row_entry(self.actor, self.action, row, changes))
        self._before = []


@contextmanager
def watching(actor: User | None, *rows: Row, action: str = "updated") -> Iterator[Watch]:
    """Log what the block changes in `rows` when it ends without an error."""
    watch = Watch(actor, *rows, action=action)
    yield watch
    watch.log()


def log_created(actor: User | None, *rows: Row) -> None:
    """Log new rows with the values they were given. Call after the flush that gave them ids."""
    if actor is None:
        return
    for row in rows:
        values = {key: [None, _plain(v)] for key, v in _values(row).items() if v is not None}
        db.session.add(_row_entry(actor, "created", row, values))


def log_deleted(actor: User | None, row: Row) -> None:
    """Log a row's removal. Call before it is deleted, while it still has its id."""
    if actor is not None:
        db.session.add(_row_entry(actor, "deleted", row, {}))


def _details(details: dict[str, object]) -> dict[str, list]:
    return {key: [None, _plain(value)] for key, value in details.items()}


def log_action(
    actor: User | None,
    action: str,
    subject: str,
    event: Event | None,
    label: str = "",
    *,
    subject_id: int | None = None,
    **details,
) -> None:
    """Log an action that is not a change to one row (a message to the attendees), in the
    caller's transaction. `event` is None for what concerns no event (a bounce of an
    invitation whose event was deleted); `subject_id` names the row acted on, if one."""
    if actor is not None:
        event_id = event.id if event is not None else None
        entry = _entry(actor, action, subject, event_id, label, subject_id, _details(details))
        db.session.add(entry)


def log_now(
    actor: User | None, action: str, subject: str, event: Event, label: str = "", **details
) -> None:
    """Log an action in a transaction of its own, committed at once: for reads such as exports,
    whose request has nothing else to commit and must not expire what it is streaming."""
    if actor is None:
        return
    entry = _entry(actor, action, subject, event.id, label, None, _details(details))
    with Session(db.engine) as session, session.begin():
        session.add(entry)


# Who an attendee's own action is logged as: never their name or address.
ATTENDEE = "attendee"


def log_attendee_action(action: str, subject: str, event: Event, subject_id: int | None) -> None:
    """Log what an attendee did themselves through their personal link (deleting their RSVP and
    data), in the caller's transaction, with nothing that names them: that is what they asked."""
    db.session.add(
        AuditEntry(
            user_id=None,
            user_email=ATTENDEE,
            event_id=event.id,
            action=action,
            subject=subject,
            subject_id=subject_id,
            label="",
            changes={},
        )
    )

"""The event lock: seats, the waitlist and check-in are decided by one writer at a time.

Its own module, as pretix keeps `locking`, because every domain that counts seats takes it: RSVPs,
event changes (capacity, cancellation) and check-in.
"""

from sqlalchemy import update

from app.events.models import Event
from app.extensions import db


def lock_event(event: Event) -> Event:
    """Take the event's write lock so seats are counted and given out by one answer at a time.

    PostgreSQL locks the row (SELECT ... FOR UPDATE). SQLite has no row locks, so a no-op UPDATE
    takes the database's write lock, which other writers wait for (busy_timeout).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        # Naming updated_at keeps its onupdate from firing: taking the lock changes nothing.
        db.session.execute(
            update(Event)
            .where(Event.id == event.id)
            .values(id=Event.id, updated_at=Event.updated_at)
        )
    locked = db.session.execute(
        db.select(Event)
        .where(Event.id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return locked

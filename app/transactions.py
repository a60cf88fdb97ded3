"""Committing a service call: the one place a view or command turns an operation into a commit."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from app.extensions import db

T = TypeVar("T")


def commit_with_retry(action: Callable[[], T]) -> T:
    """Run `action` (a service call) and commit what it did.

    Two requests can race for the same unique key (one RSVP per address, one invitation per
    invitee, a slug); the loser's flush fails with an IntegrityError. It is run once more on
    fresh data, where it sees the winner's row and takes the path for an existing one. Whatever
    fails is rolled back before the error reaches the caller, so nothing half-done stays in the
    session.
    """
    for attempt in (1, 2):
        try:
            result = action()
            db.session.commit()
            return result
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover

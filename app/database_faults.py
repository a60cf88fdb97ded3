"""The database refusing writes (disk full, read-only, locked, gone): telling that apart from a
bug, and checking for it. Pages then answer 503 and keep what the visitor typed."""

import os
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

# What a form says when it could not be saved; the page shows the form again, filled in.
CANNOT_SAVE_NOW = _l(
    "We can't take answers right now. Please try again in a few minutes. What you typed is below."
)

# SQLite reports these conditions as OperationalError, but also programming errors ("no such
# table", "syntax error"), which stay a 500: only these mean the database can't write now.
_SQLITE_FAULTS = (
    "database or disk is full",
    "readonly database",
    "database is locked",
    "disk i/o error",
    "unable to open database file",
)

# Bigger than a page, so that the probe must allocate pages as a real write does; random, so
# that PostgreSQL cannot compress it into a few bytes.
_PROBE_BYTES = 16 * 1024


class WriteProbe(db.Model):
    """The row `database_accepts_writes` commits; each probe replaces the last one."""

    __tablename__ = "write_probes"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def is_database_fault(error: BaseException) -> bool:
    """True when the database can't serve the request now (an operational fault that passes),
    rather than the code being wrong."""
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__ != "sqlite3":
        return True  # PostgreSQL: connection lost, server shutting down, disk full, deadlock
    message = str(error.orig).lower()
    return any(fault in message for fault in _SQLITE_FAULTS)


def database_accepts_writes(engine: Engine) -> bool:
    """Replace the probe row, larger than a page, and commit: false if that fails.

    Only a commit shows every fault: under SQLite's WAL a transaction stays in memory until
    its commit appends it to the -wal file, so a disk that cannot take that fails only then.
    Also fails on a read-only database, a full one, or a lock held past the busy timeout.
    """
    probes = WriteProbe.__table__
    try:
        with engine.begin() as connection:
            connection.execute(probes.delete())  # nothing accumulates: one row stays
            connection.execute(
                probes.insert().values(data=os.urandom(_PROBE_BYTES), written_at=utcnow())
            )
    except SQLAlchemyError:
        return False
    return True

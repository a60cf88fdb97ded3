"""The database refusing writes (disk full, read-only, locked, gone): telling that apart from a
bug, and checking for it. Pages then answer 503 and keep what the visitor typed."""

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, LargeBinary, MetaData, Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

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

# Bigger than a page, so that the probe must allocate pages as a real write does.
_PROBE_BYTES = 16 * 1024


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
    """Write to the database and roll back: a table of its own, a row larger than a page.

    Fails as a real write would on a read-only database, a full one (no page can be added) or
    a lock held past the busy timeout. Nothing stays behind: the transaction is rolled back.
    """
    probe = Table(f"write_probe_{uuid.uuid4().hex[:12]}", MetaData(), Column("data", LargeBinary))
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            if connection.dialect.name == "sqlite":
                # pysqlite opens a transaction only before DML: without this, the CREATE TABLE
                # would be committed on its own.
                connection.exec_driver_sql("BEGIN")
            probe.create(connection)
            connection.execute(probe.insert().values(data=b"\0" * _PROBE_BYTES))
            transaction.rollback()
    except SQLAlchemyError:
        return False
    return True

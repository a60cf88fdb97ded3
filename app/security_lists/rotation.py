"""Keeping the data encryption keys (app/privacy/encryption.py) in order: re-encrypting every
stored value under the newest key, and noticing security lists left without any key.

Rotation works on the stored tokens themselves, read and written through Core with the column
seen as plain text: the value is never decrypted into a Python object, only re-keyed
(MultiFernet.rotate), and nothing about it reaches a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Column, Table, Text, bindparam, exists, select, type_coerce, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.privacy import encryption
from app.privacy.encryption import EncryptedJSON, InvalidToken
from app.security_lists.models import SecurityList

BATCH = 500  # rows re-encrypted, and committed, at a time
NO_DATA_KEY = "no_data_key"  # /healthz: events have security lists, but no key is configured


@dataclass
class RotationReport:
    rotated: int = 0
    unreadable: int = 0  # tokens no configured key opens: left as they are


def encrypted_columns() -> Iterator[tuple[Table, Column]]:
    """Every encrypted column in the schema, with its table (whose primary key is one column)."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedJSON):
                yield table, column


def rotate_batch(table: Table, column: Column, after_id: int, report: RotationReport) -> int | None:
    """Re-encrypt up to BATCH values of `column` whose row id is above `after_id`, in the
    caller's transaction (flushed, not committed). Returns the last id seen, or None at the end.

    A value changed since it was read (an attendee correcting their details, written under the
    newest key already) is left alone rather than overwritten with the older one.
    """
    (key,) = table.primary_key.columns
    stored = type_coerce(column, Text)  # the token as stored, not decrypted by the column type
    rows = db.session.execute(
        select(key, stored).where(key > after_id, column.is_not(None)).order_by(key).limit(BATCH)
    ).all()
    write = (
        update(table)
        .where(key == bindparam("row_id"), stored == bindparam("old", type_=Text))
        .values({column.name: bindparam("new", type_=Text)})
    )
    for row_id, token in rows:
        try:
            new = encryption.rotate(token)
        except InvalidToken:
            report.unreadable += 1
            continue
        result = db.session.execute(write, {"row_id": row_id, "old": token, "new": new})
        report.rotated += result.rowcount
    return rows[-1][0] if rows else None


def rotate_all(commit) -> RotationReport:
    """Re-encrypt every encrypted value under the newest key, calling `commit` after each
    batch so that a long rotation holds no long transaction and can be run again if stopped."""
    report = RotationReport()
    for table, column in encrypted_columns():
        after_id = 0
        while (after_id := rotate_batch(table, column, after_id, report)) is not None:
            commit()
    return report


@click.command("rotate-data-keys")
@with_appcontext
def rotate_data_keys_command() -> None:
    """Re-encrypt stored security-list details under the newest DATA_ENCRYPTION_KEYS key.

    Put the new key first (NEW,OLD), restart, run this, then drop the old key.
    """
    if not encryption.encryption_available():
        raise click.ClickException(
            "DATA_ENCRYPTION_KEYS is not set: there is nothing to rotate to."
        )
    report = rotate_all(db.session.commit)
    click.echo(f"Re-encrypted {report.rotated} values under the newest key.")
    if report.unreadable:
        raise click.ClickException(
            f"{report.unreadable} values could not be decrypted with any configured key and "
            "were left as they are: keep the key they were written under in the list."
        )


def lists_without_key() -> bool:
    """Events have security lists, but no key is configured: their details can be neither
    collected nor read. Asks the database only when no key is configured."""
    if encryption.encryption_available():
        return False
    return bool(db.session.scalar(select(exists().select_from(SecurityList))))


def key_problems() -> list[str]:
    """Problem codes for /healthz (as app/mail/queries.py's)."""
    return [NO_DATA_KEY] if lists_without_key() else []


def warn_if_lists_without_key(app: Flask) -> None:
    """At start-up: log a warning when events have security lists but no key is configured.
    A database not there yet (before `flask db upgrade`) is no reason to stop the app."""
    if app.extensions.get("data_encryption") is not None:
        return
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            return  # connecting would create an empty database file
        try:
            missing = lists_without_key()
        except SQLAlchemyError:
            missing = False
        finally:
            db.session.remove()
        if missing:
            current_app.logger.warning(
                "Events have security lists but DATA_ENCRYPTION_KEYS is not set: their details "
                "can be neither collected nor read until the key they were written with is "
                "configured."
            )

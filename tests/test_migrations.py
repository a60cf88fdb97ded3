"""The Alembic migrations build exactly the schema the models describe, and take it down again."""

import logging
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, inspect, make_url, text
from sqlalchemy.exc import DataError, IntegrityError

from app import create_app
from app.events.models import Event, EventKind, Venue
from app.extensions import db
from config import TestingConfig
from tests.conftest import POSTGRES_URL


@pytest.fixture
def keep_logging():
    """migrations/env.py calls logging.config.fileConfig, which replaces the root handlers and
    disables loggers created before it (such as app.mail.sender); put them back for later tests."""

    def loggers() -> list[logging.Logger]:
        return [
            logger
            for logger in logging.root.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ]

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    disabled = {logger.name: logger.disabled for logger in loggers()}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger in loggers():  # including those first imported during the test
        logger.disabled = disabled.get(logger.name, False)


def _empty_postgres_database() -> str:
    """A database of its own on the test cluster, emptied: the suite's schema lives next door."""
    url = make_url(POSTGRES_URL)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS convoca_migrations WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE convoca_migrations"))
    admin.dispose()
    return url.set(database="convoca_migrations").render_as_string(hide_password=False)


@pytest.fixture
def empty_db_app(tmp_path, keep_logging):
    """An app on an empty database (SQLite file, or PostgreSQL when the suite runs there):
    only migrations create its tables (no create_all)."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = (
            _empty_postgres_database()
            if POSTGRES_URL
            else f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        )

    app = create_app(Config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def head_revision(app) -> str:
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return script.get_current_head()


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_to_head_creates_every_model_table(empty_db_app):
    assert table_names() == set()

    flask_migrate.upgrade()

    assert table_names() == set(db.metadata.tables) | {"alembic_version"}
    assert current_revision() == head_revision(empty_db_app)


def test_downgrade_to_base_drops_every_table_and_upgrade_works_again(empty_db_app):
    flask_migrate.upgrade()

    flask_migrate.downgrade(revision="base")

    # Alembic keeps its own bookkeeping table, empty.
    assert table_names() == {"alembic_version"}
    assert current_revision() is None

    flask_migrate.upgrade()
    assert table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_migrated_schema_matches_the_models(empty_db_app):
    flask_migrate.upgrade()

    # As `flask db migrate` compares: tables, columns, types, nullability, indexes, unique and
    # foreign keys must all agree. Server defaults are not compared (Alembic's default, and our
    # env.py's): a migration may give a NOT NULL column added to a filled table a server default
    # to fill existing rows, while the model sets the value in Python.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_migrated_schema_has_every_check_constraint_of_the_models(empty_db_app):
    """Autogenerate does not compare CHECK constraints, so compare their names here."""
    flask_migrate.upgrade()
    inspector = inspect(db.engine)

    for table in db.metadata.tables.values():
        in_models = {
            c.name
            for c in table.constraints
            if isinstance(c, CheckConstraint)
            # PostgreSQL checks enums with a native type instead of a CHECK constraint.
            and not (db.engine.dialect.name == "postgresql" and getattr(c, "_type_bound", False))
        }
        migrated = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert migrated == in_models, table.name


def test_migrated_database_enforces_constraints(empty_db_app):
    flask_migrate.upgrade()
    starts = datetime(2027, 1, 14, 15, tzinfo=UTC)

    def event(**fields) -> Event:
        values = {
            "slug": "plenary",
            "kind": EventKind.STAKEHOLDER_MEETING,
            "title_en": "Plenary",
            "timezone": "America/Mexico_City",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=5),
        }
        return Event(**(values | fields))

    db.session.add(event())
    db.session.commit()

    bad_rows = [
        event(slug="plenary"),  # slugs are unique
        event(slug="backwards", ends_at=starts - timedelta(hours=1)),
        event(slug="no-seats", capacity=0),
        Venue(name="Somewhere", city="Paris", country="FR"),
    ]
    for row in bad_rows:
        db.session.add(row)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()

    # Enum values are checked by the database too, not only by SQLAlchemy.
    with pytest.raises((IntegrityError, DataError)), db.engine.begin() as connection:
        connection.execute(text("UPDATE events SET kind = 'party' WHERE slug = 'plenary'"))


def test_search_text_is_filled_for_rsvps_made_before_it_existed(empty_db_app):
    flask_migrate.upgrade(revision="0003")
    starts = datetime(2027, 1, 14, 15, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (slug, uid, kind, status, visibility, title_en, "
                "description_en, starts_at, ends_at, timezone, guest_limit, sequence, "
                "created_at, updated_at, show_both_languages) VALUES ('e', 'u', "
                "'visit', 'published', 'public', 'E', '', :s, :e, 'America/Tijuana', 0, 0, "
                ":s, :s, false)"
            ),
            {"s": starts, "e": starts + timedelta(hours=1)},
        )
        connection.execute(
            text(
                "INSERT INTO rsvps (event_id, status, name, email, email_key, organization, "
                "language, guests, share_with_host, token_nonce, created_at, updated_at) "
                "VALUES (1, 'declined', 'Ángel Núñez', 'A@x.mx', 'a@x.mx', 'Cámara', 'es', 0, "
                "false, 'n', :s, :s)"
            ),
            {"s": starts},
        )
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        folded = connection.execute(text("SELECT search_text FROM rsvps")).scalar_one()
    assert folded == "angel nunez a@x.mx camara"


def user_columns() -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns("users")}


def test_the_unused_per_account_sign_in_columns_are_dropped_and_come_back_on_downgrade(
    empty_db_app,
):
    """Sign-in failures are counted in sign_in_throttles since 0008; 0010 drops the old columns."""
    flask_migrate.upgrade(revision="0009")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, name, password_hash, role, active, session_nonce, "
                "token_nonce, failed_logins, created_at) VALUES ('ana@example.org', 'Ana', "
                "'x', 'organizer', true, 'n', 't', 3, :now)"
            ),
            {"now": datetime(2026, 12, 1, tzinfo=UTC)},
        )

    flask_migrate.upgrade(revision="0010")
    assert {"failed_logins", "locked_until"}.isdisjoint(user_columns())
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT email FROM users")).scalar_one() == "ana@example.org"

    flask_migrate.downgrade(revision="0009")
    assert {"failed_logins", "locked_until"} <= user_columns()
    with db.engine.connect() as connection:
        kept = connection.execute(text("SELECT failed_logins, locked_until FROM users")).one()
    assert tuple(kept) == (0, None)  # every account unthrottled
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text("UPDATE users SET failed_logins = -1"))

"""Shared fixtures: a fresh app and database per test, factories, and a real SMTP server."""

from __future__ import annotations

import contextvars
import itertools
import os
import shutil
import socket
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from werkzeug.routing.rules import Rule

from app import create_app
from app.accounts.models import Role, User
from app.accounts.services import create_user
from app.events.models import (
    Event,
    EventKind,
    EventOrganization,
    EventStatus,
    Organization,
    OrganizationRole,
    Venue,
    Visibility,
)
from app.extensions import db, mail
from app.invitations import services as invitation_services
from app.invitations.models import Invitation
from app.invitations.parsing import parse_invitee_lines
from app.rsvps import services
from app.rsvps.queries import email_key
from config import TestingConfig

_counter = itertools.count(1)

# Creating an app compiles each of its URL rules into a Python function (werkzeug's URL
# builders), nine tenths of create_app's time, and the suite creates an app per test. The code
# generated depends only on the rule's text, its defaults and whether unknown arguments are
# appended (the rule object is passed in when it is called), so each is compiled once per run.
_url_builders: dict[tuple, object] = {}
_compile_url_builder = Rule._compile_builder


def _compile_url_builder_once(self: Rule, append_unknown: bool = True):
    key = (
        self.rule,
        tuple(self._trace),
        append_unknown,
        repr(sorted((self.defaults or {}).items())),
    )
    if key not in _url_builders:
        _url_builders[key] = _compile_url_builder(self, append_unknown)
    return _url_builders[key]


Rule._compile_builder = _compile_url_builder_once


class IsolatedClient(FlaskClient):
    """A test client whose every request runs as in production: in a fresh app context, with
    its own `g` and database session, not inside the test's own app context. Afterwards the
    test's session is expired, so the test reads what the request committed."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # consume streamed bodies inside the request
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


# `make test` runs the suite twice: on SQLite, then on a throwaway PostgreSQL cluster.
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")

# For test modules whose subject does not depend on the database (calendar text, catalogs, a
# server started on its own SQLite file): `pytestmark = once` runs them in the SQLite pass only.
once = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="independent of the database: runs in the SQLite pass"
)


@pytest.fixture(scope="session")
def _postgres_schema():
    """On PostgreSQL: build the schema once per run; each test then empties the tables."""
    if not POSTGRES_URL:
        yield
        return

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = POSTGRES_URL

    app = create_app(Config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory):
    """On SQLite: build the schema once per run, into a file each test starts from a copy of
    (a copy takes a millisecond; creating the tables, a fifth of a second)."""
    if POSTGRES_URL:
        yield None
        return
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite3"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield path


def _empty_postgres_tables() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(db.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(tmp_path, _postgres_schema, _sqlite_schema):
    database = tmp_path / "test.sqlite3"
    if _sqlite_schema is not None:
        shutil.copyfile(_sqlite_schema, database)

    class Config(TestingConfig):
        # A file, not :memory:, so that threads in concurrency tests share the database.
        SQLALCHEMY_DATABASE_URI = POSTGRES_URL or f"sqlite:///{database}"
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 40, "max_overflow": 10} if POSTGRES_URL else {}
        MAIL_SINK_DIR = str(tmp_path / "mail")

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if POSTGRES_URL:
            _empty_postgres_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_venue(app):
    def make(**fields) -> Venue:
        n = next(_counter)
        values = {
            "name": f"Venue {n}",
            "address": "Calzada del Tecnológico S/N",
            "city": "Tijuana",
            "region": "BC",
            "country": "MX",
        }
        venue = Venue(**(values | fields))
        db.session.add(venue)
        db.session.flush()
        return venue

    return make


@pytest.fixture
def make_organization(app):
    def make(name: str | None = None, short_name: str | None = None) -> Organization:
        org = Organization(name=name or f"Organization {next(_counter)}", short_name=short_name)
        db.session.add(org)
        db.session.flush()
        return org

    return make


@pytest.fixture
def default_owners() -> list[User]:
    """Who owns the events `make_event` makes unless told otherwise: the test's signed-in
    organizer (fixture `organizer`), as when they create an event through the form."""
    return []


@pytest.fixture
def make_event(app, make_venue, default_owners):
    """An event `days` from now, 9–11 AM local by default, owned by the signed-in organizer
    (or `owners`); fields override anything."""

    def make(
        days: float = 10,
        hours: tuple[int, int] = (9, 11),
        zone: str = "America/Tijuana",
        hosts: list[Organization] = (),
        partners: list[Organization] = (),
        owners: list[User] | None = None,
        **fields,
    ) -> Event:
        n = next(_counter)
        day = (datetime.now(UTC) + timedelta(days=days)).astimezone(ZoneInfo(zone)).date()
        starts = datetime(day.year, day.month, day.day, hours[0], tzinfo=ZoneInfo(zone))
        ends = datetime(day.year, day.month, day.day, hours[1], tzinfo=ZoneInfo(zone))
        values = {
            "slug": f"event-{n}",
            "kind": EventKind.STAKEHOLDER_MEETING,
            "status": EventStatus.PUBLISHED,
            "visibility": Visibility.PUBLIC,
            "title_en": f"Event {n}",
            "description_en": "A meeting.",
            "timezone": zone,
            "starts_at": starts,
            "ends_at": ends,
        }
        if "venue" not in fields:
            values["venue"] = make_venue()
        event = Event(**(values | fields))
        event.organizations = [
            EventOrganization(organization=org, role=OrganizationRole.HOST, position=i)
            for i, org in enumerate(hosts)
        ] + [
            EventOrganization(organization=org, role=OrganizationRole.PARTNER, position=100 + i)
            for i, org in enumerate(partners)
        ]
        event.owners = list(default_owners if owners is None else owners)
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def board_meeting(make_event):
    def make(**fields):
        values = {
            "kind": EventKind.BOARD_MEETING,
            "visibility": Visibility.INVITE_ONLY,
            "title_en": "Board Meeting",
            "title_es": "Reunión del Consejo",
        }
        return make_event(**(values | fields))

    return make


@pytest.fixture
def invite(app):
    """Invite through the service and commit, as the view does; returns the invitations."""

    def invite(event, lines: str, language: str = "en") -> list[Invitation]:
        report = invitation_services.invite(
            event, parse_invitee_lines(lines), language, datetime.now(UTC)
        )
        db.session.commit()
        return [
            line.invitation
            for line in report.lines
            if line.result is invitation_services.Result.INVITED
        ]

    return invite


@pytest.fixture
def make_answer():
    def make(**fields) -> services.Answer:
        n = next(_counter)
        values = {
            "name": f"Attendee {n}",
            "email": f"attendee{n}@example.com",
            "organization": "ITJ",
            "attending": True,
        }
        return services.Answer(**(values | fields))

    return make


@pytest.fixture
def answer_rsvp(app, make_answer):
    """Submit an answer through the service and commit, as the view does."""

    def answer(event: Event, invitation=None, **fields):
        answer = make_answer(**fields)
        if invitation is None and event.visibility is Visibility.INVITE_ONLY:
            # As the invitee does, through their own invitation's link (made here, quietly,
            # if the test did not invite them).
            key = email_key(answer.email)
            invitation = db.session.scalar(
                db.select(Invitation).where(
                    Invitation.event_id == event.id, Invitation.email_key == key
                )
            )
            if invitation is None:
                invitation = Invitation(
                    event=event, name=answer.name, email=answer.email, email_key=key
                )
                db.session.add(invitation)
                db.session.flush()
        outcome = services.submit_answer(event, answer, datetime.now(UTC), invitation)
        db.session.commit()
        return outcome.rsvp

    return answer


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app):
    def make(email: str | None = None, role: Role = Role.ORGANIZER, **fields) -> User:
        user = create_user(
            email or f"organizer{next(_counter)}@example.org",
            PASSWORD,
            role,
            organization=fields.pop("organization", None),
        )
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()
        return user

    return make


@pytest.fixture
def sign_in(client):
    """Sign a user in through the real form."""

    def sign_in(user: User, test_client=None) -> None:
        response = (test_client or client).post(
            "/organizer/login", data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302, response.text

    return sign_in


@pytest.fixture
def organizer(make_user, sign_in, default_owners) -> User:
    """A signed-in organizer (the `client` fixture carries the session), who owns the events
    `make_event` makes."""
    user = make_user(name="Olga Organizer")
    sign_in(user)
    default_owners.append(user)
    return user


@pytest.fixture
def admin(make_user, sign_in) -> User:
    user = make_user(role=Role.ADMIN, name="Ada Admin")
    sign_in(user)
    return user


class Mailbox(list):
    """Messages received by the test SMTP server, parsed; each also has `envelope_from`, the
    sender its SMTP envelope gave (MAIL FROM)."""

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self if address in m["To"]]


class RecordingHandler:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Requested action aborted: try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_from = envelope.mail_from  # the SMTP MAIL FROM, not the From header
        self.mailbox.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 that the app delivers to; `smtp.handler.refuse = True`
    makes it reject messages."""
    mailbox = Mailbox()
    handler = RecordingHandler(mailbox)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    mail.init_app(app)  # Flask-Mail reads its settings at init
    controller.mailbox = mailbox
    try:
        yield controller
    finally:
        controller.stop()


@contextmanager
def counting_queries():
    """`with counting_queries() as statements:` lists the SQL sent while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)

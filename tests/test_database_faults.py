"""Real SQLite faults: a database opened read-only, and one that can grow no further (disk
full). Pages that read keep working; forms answer 503, say so plainly, and keep what was
typed; nothing is half-stored; /healthz reports the failing writes."""

import html
import resource
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event

from app import create_app
from app.accounts.models import SignInThrottle
from app.database_faults import WriteProbe, database_accepts_writes
from app.extensions import db
from app.mail.models import OutboxMessage
from app.rsvps.models import Rsvp, RsvpStatus
from app.tokens import Purpose, make_token
from tests.conftest import POSTGRES_URL, IsolatedClient

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's own fault modes")

CANNOT_ANSWER = "We can't take answers right now. Please try again in a few minutes."
TYPED = {
    "name": "Graciela Zúñiga",
    "email": "graciela.zuniga@example.com",
    "organization": "Cruce Seguro A.C.",
    "job_title": "Coordinadora de enlace",
    "response": "yes",
    "language": "es",
    "guests": "0",
}


def _app_on(app, url: str, on_connect=None):
    """A second app on the test's database file, opened through `url`; `on_connect` runs on
    every new SQLite connection of its engine (a fault set up per connection)."""
    config = {**app.config, "SQLALCHEMY_DATABASE_URI": url}
    faulty = create_app(type("FaultyConfig", (), config))
    faulty.test_client_class = IsolatedClient
    if on_connect is not None:
        with faulty.app_context():
            sa_event.listen(db.engine, "connect", on_connect)
    return faulty


def _database_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


@pytest.fixture
def read_only_app(app):
    """The same database opened read-only (root ignores file permissions; SQLite does not)."""
    faulty = _app_on(app, f"sqlite:///file:{_database_path(app)}?mode=ro&uri=true")
    yield faulty
    with faulty.app_context():
        db.engine.dispose()


def _no_more_pages(dbapi_connection, connection_record) -> None:
    """Disk full: the database may not grow by a single page."""
    cursor = dbapi_connection.cursor()
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count = {pages}")
    cursor.close()


@pytest.fixture
def full_disk_app(app):
    faulty = _app_on(app, app.config["SQLALCHEMY_DATABASE_URI"], on_connect=_no_more_pages)
    yield faulty
    with faulty.app_context():
        db.engine.dispose()


def _nothing_stored() -> None:
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def _assert_form_kept_what_was_typed(page: str) -> None:
    text = html.unescape(page)
    assert CANNOT_ANSWER in text
    assert "What you typed is below." in text
    for field in ("name", "email", "organization", "job_title"):
        assert f'value="{TYPED[field]}"' in text, field


@pytest.mark.parametrize("fault", ["read_only_app", "full_disk_app"])
def test_an_rsvp_the_database_cannot_store_is_a_503_with_the_form_filled_in(
    request, fault, make_event
):
    event = make_event(capacity=20)
    client = request.getfixturevalue(fault).test_client()

    response = client.post(f"/events/{event.slug}/rsvp", data=TYPED)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "120"
    _assert_form_kept_what_was_typed(response.text)
    assert event.title_en in response.text  # the event page itself, not an error page
    _nothing_stored()


@pytest.mark.parametrize("fault", ["read_only_app", "full_disk_app"])
def test_healthz_reports_writes_failing_with_503_while_reads_work(request, fault):
    response = request.getfixturevalue(fault).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "ok"
    assert response.json["database_writes"] == "failing"
    assert response.json["status"] == "error"
    assert response.json["outbox"] == {"pending": 0, "failed": 0, "oldest_pending_seconds": None}


def test_healthz_write_probe_keeps_one_row_and_no_tables(app, client):
    tables_before = set(db.inspect(db.engine).get_table_names())
    for _ in range(3):
        assert client.get("/healthz").json["database_writes"] == "ok"
    db.session.remove()
    assert set(db.inspect(db.engine).get_table_names()) == tables_before
    assert db.session.scalar(db.select(db.func.count()).select_from(WriteProbe)) == 1


@contextmanager
def files_cannot_grow():
    """No file of this process may grow: writing past a file's end fails, as on a full disk
    (with EFBIG, "disk I/O error" to SQLite, instead of ENOSPC). Nothing else may write a file
    meanwhile, so keep the block to the database call."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # Otherwise the kernel stops the process at the first write past the limit.
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_healthz_write_probe_catches_a_wal_database_that_cannot_commit(app):
    """Under WAL a transaction stays in memory until its commit appends it to the -wal file:
    a write that is rolled back never touches the disk, and passes on a full one."""
    wal = Path(_database_path(app) + "-wal")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # An empty -wal file: the next commit must grow it.
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert wal.stat().st_size == 0
    probe = WriteProbe.__table__

    with files_cannot_grow():
        with db.engine.connect() as connection, connection.begin() as transaction:
            connection.execute(probe.insert().values(data=b"\0" * (64 * 1024)))
            transaction.rollback()  # what the probe used to do: no error
        accepted = database_accepts_writes(db.engine)

    assert not accepted
    assert db.session.scalar(db.select(db.func.count()).select_from(WriteProbe)) == 0
    assert database_accepts_writes(db.engine)  # and with room again, it says so


def test_pages_that_only_read_still_work_on_a_read_only_database(read_only_app, make_event):
    event = make_event(title_en="Binational Water Forum")
    client = read_only_app.test_client()
    home = client.get("/")
    assert home.status_code == 200
    assert "Binational Water Forum" in home.text
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 200
    assert 'name="email"' in page.text  # the RSVP form is offered as usual


def test_sign_in_on_a_read_only_database_is_a_503_that_keeps_the_email(read_only_app, make_user):
    user = make_user()
    response = read_only_app.test_client().post(
        "/organizer/login", data={"email": user.email, "password": "not the password"}
    )
    assert response.status_code == 503
    text = html.unescape(response.text)
    assert "We can't sign you in right now. Please try again in a few minutes." in text
    assert f'value="{user.email}"' in text
    assert "not the password" not in text  # a password is never sent back
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(SignInThrottle)) == 0


def test_other_forms_get_the_503_page_when_the_database_cannot_write(
    read_only_app, make_event, answer_rsvp
):
    rsvp = answer_rsvp(make_event(capacity=20))
    messages_before = db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage))
    token = make_token(rsvp, Purpose.MANAGE)

    response = read_only_app.test_client().post(f"/rsvp/{token}/cancel")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "120"
    text = html.unescape(response.text)
    assert "We can't take answers right now" in text
    assert "Nothing you sent was saved." in text
    db.session.expire_all()
    assert rsvp.status is RsvpStatus.CONFIRMED
    count = db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage))
    assert count == messages_before


def test_a_database_error_that_is_a_bug_stays_a_500(app, tmp_path):
    """No such table is a mistake in the code or the deployment, not a passing fault."""
    empty = _app_on(app, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        response = empty.test_client().get("/")
    finally:
        with empty.app_context():
            db.engine.dispose()
    assert response.status_code == 500
    assert "Retry-After" not in response.headers

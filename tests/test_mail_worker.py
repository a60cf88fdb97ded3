"""The mail worker under trouble: a silent SMTP server, permanent and temporary refusals, a
database that goes away, a worker killed mid-send; and /healthz telling when mail is stuck.

Everything real: SMTP servers on 127.0.0.1 (aiosmtpd, or a bare socket), workers as
subprocesses (`flask send-mail`) on the test's own database."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db, mail
from app.mail.models import DeliveryAttempt, MessageStatus, OutboxMessage, RejectedAddress
from app.mail.queries import BACKLOG, NO_WORKER
from app.mail.sender import INTERRUPTED, LEASE, deliver_pending
from config import TestingConfig
from tests.conftest import POSTGRES_URL, IsolatedClient, RecordingHandler

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wait_until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def all_sent(count: int) -> bool:
    found = messages()
    return len(found) == count and all(m.status is MessageStatus.SENT for m in found)


def attempts_of(message: OutboxMessage) -> list[DeliveryAttempt]:
    return list(
        db.session.scalars(
            db.select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id == message.id)
            .order_by(DeliveryAttempt.id)
        )
    )


def start_worker(
    app, smtp_port: int, *args: str, stdout=subprocess.DEVNULL, **env
) -> subprocess.Popen:
    """`flask send-mail` in its own process, on the test's database and SMTP server."""
    environment = {
        **os.environ,
        "CONVOCA_ENV": "testing",
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PYTHONPATH": str(ROOT),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        **env,
    }
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "send-mail", *args],
        cwd=ROOT,
        env=environment,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


class StderrReader:
    """Collects a subprocess's stderr on a thread, so the test can wait for a line."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.lines.append(line)

    def saw(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    process.wait(timeout=30)


# --- A server that never answers ----------------------------------------------------------


@pytest.fixture
def tarpit(app):
    """A socket server on 127.0.0.1 that accepts connections and never says a word; the app
    delivers to it, with a half-second SMTP timeout."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=server.getsockname()[1], MAIL_TIMEOUT_SECONDS=0.5
    )
    mail.init_app(app)
    try:
        yield held
    finally:
        done.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


def test_a_server_that_never_answers_times_out_and_the_message_stays_pending(
    runner, make_event, answer_rsvp, tarpit
):
    answer_rsvp(make_event(capacity=5))

    started = time.monotonic()
    result = runner.invoke(args=["send-mail"])
    elapsed = time.monotonic() - started

    assert result.exit_code == 0, result.output
    assert "sent 0, retrying 1, failed 0" in result.output
    assert len(tarpit) == 1  # it did connect, and waited for the greeting
    assert elapsed < 5
    [message] = messages()
    assert message.status is MessageStatus.PENDING
    assert message.attempts == 1
    assert "timed out" in message.last_error  # smtplib reports it as a lost connection
    [attempt] = attempts_of(message)
    assert attempt.succeeded is False and "timed out" in attempt.error


# --- A server that goes silent mid-message, and a worker killed mid-send ----------------


class HoldingHandler(RecordingHandler):
    """Keeps each message as it arrives, then holds back its 250 for `hold_seconds` (until set
    to 0): from the sender's side, the message is out but not confirmed."""

    def __init__(self, mailbox):
        super().__init__(mailbox)
        self.received = threading.Event()
        self.hold_seconds = 0.0

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        self.received.set()
        deadline = time.monotonic() + self.hold_seconds
        while self.hold_seconds and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return reply


@pytest.fixture
def holding_smtp(smtp):
    handler = HoldingHandler(smtp.mailbox)
    smtp.handler = handler  # each new SMTP session takes the controller's current handler
    yield smtp
    handler.hold_seconds = 0


def test_a_server_silent_after_the_message_leaves_it_pending_and_frees_the_rest(
    app, make_event, answer_rsvp, holding_smtp
):
    # Long enough that a busy machine still greets within it; far shorter than the hold.
    app.config["MAIL_TIMEOUT_SECONDS"] = 2
    event = make_event(capacity=5)
    answer_rsvp(event)
    answer_rsvp(event)
    holding_smtp.handler.hold_seconds = 20

    started = time.monotonic()
    report = deliver_pending()
    assert time.monotonic() - started < 10
    assert (report.sent, report.retrying) == (0, 1)

    first, second = messages()
    assert first.status is MessageStatus.PENDING and "timed out" in first.last_error
    [attempt] = attempts_of(first)
    assert attempt.succeeded is False
    # The connection is dead: the rest of the batch was handed back untried, due at once.
    assert second.attempts == 0 and attempts_of(second) == []
    assert second.next_attempt_at <= datetime.now(UTC)

    # The server kept the first message: it may have been delivered. Sent again, it carries
    # the same Message-ID, so it is one message to the recipient's mail client.
    holding_smtp.handler.hold_seconds = 0
    report = deliver_pending(now=datetime.now(UTC) + timedelta(hours=1))
    assert report.sent == 2
    first_copies = holding_smtp.mailbox.to(first.recipient_email)
    assert len(first_copies) == 2
    assert {m["Message-ID"] for m in first_copies} == {first.message_id_header}
    assert [m["Message-ID"] for m in holding_smtp.mailbox.to(second.recipient_email)] == [
        second.message_id_header
    ]


def test_a_worker_killed_between_the_servers_acceptance_and_its_record_loses_nothing(
    app, make_event, answer_rsvp, holding_smtp
):
    event = make_event(capacity=10)
    for _ in range(3):
        answer_rsvp(event)
    holding_smtp.handler.hold_seconds = 60
    worker = start_worker(app, holding_smtp.port, MAIL_TIMEOUT_SECONDS="60")
    try:
        assert holding_smtp.handler.received.wait(timeout=60), "the worker sent nothing"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        stop(worker)
    assert len(holding_smtp.mailbox) == 1

    first, second, third = messages()
    # The attempt was on record, in flight, before the message left.
    [in_flight] = attempts_of(first)
    assert in_flight.succeeded is None
    assert first.status is MessageStatus.PENDING and first.attempts == 1
    assert (second.attempts, third.attempts) == (0, 0)

    # Another worker, once the dead one's lease has run out.
    holding_smtp.handler.hold_seconds = 0
    assert deliver_pending(now=datetime.now(UTC) + LEASE + timedelta(seconds=1)).sent == 3

    first, second, third = messages()
    assert {m.status for m in (first, second, third)} == {MessageStatus.SENT}
    assert [(a.succeeded, a.error) for a in attempts_of(first)] == [
        (False, INTERRUPTED),
        (True, None),
    ]
    received = [str(m["Message-ID"]) for m in holding_smtp.mailbox]
    assert len(received) == 4  # the first one possibly twice, nothing lost
    assert sorted(set(received)) == sorted(
        m.message_id_header for m in (first, second, third)
    )  # never one message under two Message-IDs
    assert received.count(first.message_id_header) == 2


def test_sigterm_stops_the_worker_once_the_message_in_flight_is_recorded(
    app, make_event, answer_rsvp, holding_smtp
):
    """What systemd does to stop the service: the worker is not killed between the server's
    acceptance and its record of it, and hands the rest of its batch back."""
    event = make_event(capacity=10)
    for _ in range(3):
        answer_rsvp(event)
    holding_smtp.handler.hold_seconds = 1  # the server's 250 comes a second after the message
    worker = start_worker(
        app, holding_smtp.port, "--loop", "--interval", "0.05", stdout=subprocess.PIPE
    )
    try:
        assert holding_smtp.handler.received.wait(timeout=30), "the worker sent nothing"
        worker.send_signal(signal.SIGTERM)
        output, errors = worker.communicate(timeout=5)
    finally:
        stop(worker)

    assert worker.returncode == 0, errors
    assert "mail worker: stopped on SIGTERM" in output
    assert len(holding_smtp.mailbox) == 1
    [sent] = [m for m in messages() if m.status is MessageStatus.SENT]
    assert [a.succeeded for a in attempts_of(sent)] == [True]
    rest = [m for m in messages() if m is not sent]
    assert [(m.status, m.attempts) for m in rest] == [(MessageStatus.PENDING, 0)] * 2
    assert all(m.next_attempt_at <= datetime.now(UTC) for m in rest)  # due at once


# --- Permanent and temporary refusals ----------------------------------------------------


class RefusingRecipientsHandler(RecordingHandler):
    def __init__(self, mailbox, replies: dict[str, str]):
        super().__init__(mailbox)
        self.replies = replies

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_permanent_refusal_fails_at_once_and_marks_the_address_a_temporary_one_backs_off(
    make_event, answer_rsvp, smtp
):
    smtp.handler = RefusingRecipientsHandler(
        smtp.mailbox,
        {
            "gone@example.com": "550 5.1.1 No such user here",
            "busy@example.com": "450 4.2.1 Mailbox busy, try later",
        },
    )
    event = make_event(capacity=10)
    for email in ("gone@example.com", "busy@example.com", "fine@example.com"):
        answer_rsvp(event, email=email)

    report = deliver_pending()

    assert (report.sent, report.retrying, report.failed) == (1, 1, 1)
    gone, busy, fine = messages()
    assert gone.status is MessageStatus.FAILED and gone.attempts == 1
    assert "550" in gone.last_error
    assert busy.status is MessageStatus.PENDING and busy.attempts == 1
    assert busy.next_attempt_at > datetime.now(UTC) + timedelta(seconds=30)
    assert fine.status is MessageStatus.SENT
    [rejected] = db.session.scalars(db.select(RejectedAddress)).all()
    assert (rejected.email, rejected.smtp_code) == ("gone@example.com", 550)
    assert "No such user" in rejected.reply

    # Much later, only the temporary one is tried again.
    report = deliver_pending(now=datetime.now(UTC) + timedelta(days=1))
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert messages()[0].attempts == 1


# --- /healthz ----------------------------------------------------------------------------


def test_healthz_is_degraded_without_a_worker_heartbeat_or_with_an_old_backlog(
    app, client, runner, make_event, answer_rsvp, smtp
):
    app.config.update(HEALTH_MAX_PENDING_AGE_SECONDS=600, HEALTH_MAX_HEARTBEAT_AGE_SECONDS=60)
    response = client.get("/healthz")
    assert response.status_code == 200  # the site still serves pages
    assert response.json["status"] == "degraded"
    assert response.json["problems"] == [NO_WORKER]
    assert response.json["mail_worker"] == {"last_heartbeat_seconds": None}

    assert runner.invoke(args=["send-mail"]).exit_code == 0  # a worker's pass reports in
    assert client.get("/healthz").json["status"] == "ok"

    answer_rsvp(make_event(capacity=5))
    [message] = messages()
    message.created_at = datetime.now(UTC) - timedelta(minutes=11)
    db.session.commit()
    body = client.get("/healthz").json
    assert (body["status"], body["problems"]) == ("degraded", [BACKLOG])
    assert body["outbox"]["pending"] == 1

    # A worker silent for longer than the threshold counts as none.
    app.config["HEALTH_MAX_HEARTBEAT_AGE_SECONDS"] = 0
    time.sleep(0.01)
    assert client.get("/healthz").json["problems"] == [BACKLOG, NO_WORKER]


# --- The database going away under the worker --------------------------------------------


def test_a_database_error_in_the_loop_is_logged_and_the_worker_carries_on(
    app, make_event, answer_rsvp, smtp
):
    event = make_event(capacity=10)
    worker = start_worker(
        app, smtp.port, "--loop", "--interval", "0.05", MAIL_DB_RETRY_SECONDS="0.2"
    )
    stderr = StderrReader(worker)
    try:
        answer_rsvp(event)
        wait_until(lambda: messages()[0].status is MessageStatus.SENT, 60, "the first message")
        # The outbox vanishes for a moment: the worker's next passes fail in the database.
        db.session.execute(text("ALTER TABLE outbox_messages RENAME TO outbox_messages_away"))
        db.session.commit()
        wait_until(lambda: stderr.saw("database error"), 30, "the worker to log the error")
        assert worker.poll() is None
        db.session.execute(text("ALTER TABLE outbox_messages_away RENAME TO outbox_messages"))
        db.session.commit()

        answer_rsvp(event)
        wait_until(lambda: all_sent(2), 30, "the message queued after the error")
        assert worker.poll() is None
    finally:
        stop(worker)
    assert len(smtp.mailbox) == 2  # each once


def terminate_backends(application_name: str) -> int:
    """What a PostgreSQL restart does to a client: its connections are closed under it."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": application_name},
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="terminating server connections needs PostgreSQL (the second pass of make test); "
    "test_a_database_error_in_the_loop_is_logged_and_the_worker_carries_on covers SQLite",
)
def test_a_worker_whose_connections_are_terminated_keeps_delivering(
    app, make_event, answer_rsvp, smtp
):
    event = make_event(capacity=10)
    worker = start_worker(
        app,
        smtp.port,
        "--loop",
        "--interval",
        "0.05",
        MAIL_DB_RETRY_SECONDS="0.2",
        PGAPPNAME="convoca-mail-worker-test",
    )
    try:
        answer_rsvp(event)
        wait_until(lambda: messages()[0].status is MessageStatus.SENT, 60, "the first message")
        for _ in range(3):  # whatever the worker is doing at the time; it reconnects each time
            wait_until(
                lambda: terminate_backends("convoca-mail-worker-test") >= 1,
                10,
                "the worker to be connected",
            )
        assert worker.poll() is None
        answer_rsvp(event)
        wait_until(lambda: all_sent(2), 30, "the message queued after the restart")
        assert worker.poll() is None
    finally:
        stop(worker)
    assert len(smtp.mailbox) == 2  # each once


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="terminating server connections needs PostgreSQL (the second pass of make test)",
)
def test_pages_survive_a_database_restart_without_an_error(app, make_event):
    make_event(title_en="Border Wait Times Forum")

    class WebConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = POSTGRES_URL
        # The production engine options, with a name to find this app's connections by.
        SQLALCHEMY_ENGINE_OPTIONS = {
            **TestingConfig.SQLALCHEMY_ENGINE_OPTIONS,
            "connect_args": {"application_name": "convoca-web-test"},
        }

    web = create_app(WebConfig)
    web.test_client_class = IsolatedClient
    client = web.test_client()
    try:
        assert "Border Wait Times Forum" in client.get("/").text  # the pool holds a connection
        assert terminate_backends("convoca-web-test") >= 1
        response = client.get("/")
        assert response.status_code == 200
        assert "Border Wait Times Forum" in response.text
        assert client.get("/healthz").json["database"] == "ok"
    finally:
        with web.app_context():
            db.engine.dispose()

"""`receive-mail --imap` against a real Dovecot on 127.0.0.1: messages for our addresses are
stored and filed under Convoca/Done, the rest under Convoca/Unknown, and the watcher follows new
mail with IDLE and reconnects after the server goes away."""

import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from app.extensions import db
from app.inbound import imap
from app.inbound.addresses import reply_address
from app.inbound.imap import ImapSettings, connect, poll_once, prepare_folders, watch_mailbox
from app.inbound.models import InboundMessage, InboundSource, InboundStatus
from tests.conftest import free_port

DOVECOT = Path("/usr/sbin/dovecot")
if not DOVECOT.exists():
    pytest.skip(
        "needs Dovecot (/usr/sbin/dovecot; `make test` installs dovecot-imapd)",
        allow_module_level=True,
    )

DOMAIN = "reply.example.org"
USER, PASSWORD = "events", "imap test password"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = convoca-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = {root}/dovecot.log
first_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{unprivileged_service}}}
{unprivileged}
"""

# Without root, Dovecot runs every process as the current user and cannot chroot.
UNPRIVILEGED = """\
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """A Dovecot of the test's own, with one mailbox (USER)."""

    def __init__(self):
        self.port = free_port()
        # Short (unix socket paths), and readable by Dovecot's own users when run as root.
        self.root = Path(tempfile.mkdtemp(prefix="convoca-dovecot-"))
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            # Dovecot refuses to read mail as root: the mailbox belongs to nobody.
            owner = pwd.getpwnam("nobody")
            unprivileged, unprivileged_service = "", ""
        else:
            owner = pwd.getpwuid(os.getuid())
            unprivileged = UNPRIVILEGED.format(user=owner.pw_name, group=owner.pw_gid)
            unprivileged_service = "  chroot =\n"
        (self.root / "mail").mkdir()
        os.chown(self.root / "mail", owner.pw_uid, owner.pw_gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (self.root / "passwd").chmod(0o644)
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                uid=owner.pw_uid,
                gid=owner.pw_gid,
                unprivileged=unprivileged,
                unprivileged_service=unprivileged_service,
            )
        )
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client().logout()
                return
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log = self.root / "dovecot.log"
                    raise RuntimeError(
                        log.read_text() if log.exists() else "dovecot died"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes) -> None:
        """As the provider's delivery does: the message lands in INBOX."""
        client = self.client()
        client.append("INBOX", None, None, raw)
        client.logout()

    def messages(self, folder: str) -> list[bytes]:
        client = self.client()
        try:
            typ, data = client.select(folder, readonly=True)
            if typ != "OK" or not int(data[0]):
                return []
            _, data = client.fetch("1:*", "(BODY.PEEK[])")
            return [part[1] for part in data if isinstance(part, tuple)]
        finally:
            client.logout()


@pytest.fixture
def dovecot():
    server = Dovecot()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def settings(app, dovecot) -> ImapSettings:
    app.config.update(
        INBOUND_EMAIL_DOMAIN=DOMAIN,
        IMAP_URL=f"imap://127.0.0.1:{dovecot.port}/INBOX",
        IMAP_USERNAME=USER,
        IMAP_PASSWORD=PASSWORD,
    )
    return ImapSettings.from_config(app.config)


def calendar_answer(delivered_to: str, subject: str = "Accepted: Board Meeting") -> bytes:
    """A reply as a Google Workspace mailbox holds it: every plus address arrives in events@,
    and only Delivered-To says which one it was sent to."""
    return (
        "Return-Path: <ana@example.com>\r\n"
        f"Delivered-To: {delivered_to}\r\n"
        "From: Ana <ana@example.com>\r\n"
        f"To: events@{DOMAIN}\r\n"
        f"Subject: {subject}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Ana has accepted.\r\n"
    ).encode()


def stored() -> list[InboundMessage]:
    db.session.rollback()
    return list(db.session.scalars(db.select(InboundMessage).order_by(InboundMessage.id)))


def poll(settings, failures: Counter | None = None) -> tuple:
    mailbox = connect(settings)
    try:
        done, unknown = prepare_folders(mailbox, settings)
        return poll_once(mailbox, done, unknown, failures=failures), done, unknown
    finally:
        mailbox.logout()


def test_a_message_for_a_reply_address_is_stored_and_filed_as_done(
    settings, dovecot, make_event, answer_rsvp
):
    rsvp = answer_rsvp(make_event())
    raw = calendar_answer(reply_address(rsvp))
    dovecot.deliver(raw)

    report, done, unknown = poll(settings)

    assert (report.stored, report.unknown) == (1, 0)
    assert done == "Convoca.Done"  # the server's own delimiter, not the configured "/"
    [kept] = stored()
    assert kept.raw == raw
    assert (kept.source, kept.rsvp_id) == (InboundSource.IMAP, rsvp.id)
    assert kept.recipient == reply_address(rsvp).lower()
    assert kept.envelope_from == "ana@example.com"
    assert dovecot.messages("INBOX") == []
    assert dovecot.messages(done) == [raw]
    assert dovecot.messages(unknown) == []


def test_mail_for_no_address_of_ours_is_filed_as_unknown_not_deleted(settings, dovecot):
    made_up = calendar_answer(f"events+r{'x' * 30}@{DOMAIN}")
    newsletter = (
        b"From: news@example.com\r\nTo: events@reply.example.org\r\nSubject: Hi\r\n\r\nHi\r\n"
    )
    dovecot.deliver(made_up)
    dovecot.deliver(newsletter)

    report, _, unknown = poll(settings)

    assert (report.stored, report.unknown) == (0, 2)
    assert stored() == []
    assert dovecot.messages("INBOX") == []
    assert dovecot.messages(unknown) == [made_up, newsletter]


def test_a_message_that_cannot_be_stored_holds_up_nothing_and_is_set_aside_after_three_tries(
    settings, dovecot, make_event, answer_rsvp, monkeypatch
):
    event = make_event()
    poison = calendar_answer(reply_address(answer_rsvp(event)), subject="Poison")
    fine = [calendar_answer(reply_address(answer_rsvp(event)), subject=f"Fine {n}") for n in (1, 2)]
    for raw in (poison, *fine):
        dovecot.deliver(raw)
    real = imap.store_inbound

    def store_inbound(raw, **fields):
        if b"Subject: Poison" in raw:
            # A row the database refuses (as PostgreSQL refuses a NUL byte in a header): the
            # session is left to be rolled back.
            db.session.add(InboundMessage(source=InboundSource.IMAP, recipient=None, raw=raw))
            db.session.flush()
        return real(raw, **fields)

    monkeypatch.setattr(imap, "store_inbound", store_inbound)
    failures = Counter()

    report, done, unknown = poll(settings, failures)

    assert (report.stored, report.failed, report.unknown) == (2, 1, 0)
    assert [m.raw for m in stored()] == fine
    assert dovecot.messages("INBOX") == [poison]  # tried again at the next poll
    assert poll(settings, failures)[0].failed == 1

    report, _, _ = poll(settings, failures)

    assert (report.stored, report.failed, report.unknown) == (0, 0, 1)
    assert dovecot.messages("INBOX") == []
    assert dovecot.messages(unknown) == [poison]
    assert dovecot.messages(done) == fine
    assert not failures


def wait_until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_the_watcher_follows_new_mail_and_comes_back_after_the_server_restarts(
    app, settings, dovecot, make_event, answer_rsvp
):
    first, second, third = (reply_address(answer_rsvp(make_event())) for _ in range(3))
    stop, woken = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=watch_mailbox,
        args=(app, settings, stop, woken.set),
        kwargs={"idle_seconds": 60, "poll_seconds": 60, "retry_seconds": 0.5},
    )
    watcher.start()
    try:
        dovecot.deliver(calendar_answer(first))
        wait_until(lambda: len(stored()) == 1, 10, "the first message")
        assert woken.is_set()
        # The watcher now waits in IDLE: a new message is taken at once, long before the next
        # poll (a minute away) would find it.
        dovecot.deliver(calendar_answer(second))
        wait_until(lambda: len(stored()) == 2, 10, "a message arriving during IDLE")

        dovecot.stop()
        dovecot.start()
        dovecot.deliver(calendar_answer(third))
        wait_until(lambda: len(stored()) == 3, 15, "the message after the restart")
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert [m.recipient for m in stored()] == [a.lower() for a in (first, second, third)]
    assert len(dovecot.messages("Convoca.Done")) == 3


def test_the_command_watches_the_mailbox_applies_what_it_stores_and_stops_on_sigterm(
    app, settings, dovecot, make_event, answer_rsvp
):
    address = reply_address(answer_rsvp(make_event()))
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "receive-mail", "--imap"],
        cwd=root,
        env={
            **os.environ,
            "CONVOCA_ENV": "testing",
            "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "PYTHONPATH": str(root),
            "INBOUND_EMAIL_DOMAIN": DOMAIN,
            "IMAP_URL": app.config["IMAP_URL"],
            "IMAP_USERNAME": USER,
            "IMAP_PASSWORD": PASSWORD,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        dovecot.deliver(calendar_answer(address))
        # Stored, then looked at by the applier (a typed note is no calendar answer: it is
        # kept for an organizer, no longer RECEIVED).
        wait_until(
            lambda: [m.status for m in stored()] not in ([], [InboundStatus.RECEIVED]),
            20,
            "the message to be stored and applied",
        )
        assert dovecot.messages("Convoca.Done") == [calendar_answer(address)]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "receive-mail: stopped" in process.stdout.read()

"""`receive-mail --imap`: take our mail out of a mailbox (Google Workspace, Microsoft 365 …).

Every plus address arrives in one mailbox (events@). A message is stored for the first of our
addresses its headers name, then moved to IMAP_DONE_FOLDER; one for none of them (or too large)
is moved to IMAP_UNKNOWN_FOLDER. Nothing is deleted. The move comes after the commit, so a crash
in between leaves the message in the inbox to be stored again (the applier ignores the repeat).
A message that cannot be stored (a header the database refuses) is left for the next poll, and
after MAX_STORE_FAILURES polls moved to the unknown folder: it never holds up the rest.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import logging
import select
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses, parseaddr
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import ImapToolsError
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.inbound.models import InboundSource
from app.inbound.receiving import accepts_recipient, store_inbound
from app.inbound.server import over_address_limit, over_hourly_limit

log = logging.getLogger(__name__)

# Where the address a message was delivered to shows, most trustworthy first: the receiving
# server's own headers, then what the sender wrote.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
# Polls in a row a message may fail to be stored in before it is moved to the unknown folder.
MAX_STORE_FAILURES = 3
# Failures of the connection or the database as a whole, not of one message: the poll stops
# and the watcher connects again later (watch_mailbox).
_NOT_THE_MESSAGE = (OperationalError, OSError, imaplib.IMAP4.error, ImapToolsError)


class RawMailMessage(MailMessage):
    """imap-tools' message, keeping the bytes as the server sent them."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # "tls" (imaps), "starttls", or "plain" (loopback only, for tests)
    folder: str
    username: str
    password: str
    done_folder: str
    unknown_folder: str

    @classmethod
    def from_config(cls, config) -> ImapSettings:
        if not config.get("IMAP_URL"):
            raise ValueError("IMAP_URL is not set (imaps://imap.example.org:993/INBOX)")
        security, host, port, folder = parse_imap_url(config["IMAP_URL"])
        return cls(
            host=host,
            port=port,
            security=security,
            folder=folder,
            username=config.get("IMAP_USERNAME") or "",
            password=config.get("IMAP_PASSWORD") or "",
            done_folder=config["IMAP_DONE_FOLDER"],
            unknown_folder=config["IMAP_UNKNOWN_FOLDER"],
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_imap_url(url: str) -> tuple[str, str, int, str]:
    """`imaps://host[:993][/folder]` → ("tls", host, port, folder). `imap://` means STARTTLS,
    or no encryption at all when the host is this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("imaps", "imap") or not parts.hostname:
        raise ValueError(f"IMAP_URL must look like imaps://imap.example.org:993/INBOX, not {url!r}")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if parts.scheme == "imaps":
        return "tls", parts.hostname, parts.port or 993, folder
    security = "plain" if _is_loopback(parts.hostname) else "starttls"
    return security, parts.hostname, parts.port or 143, folder


def connect(settings: ImapSettings, timeout: float = 60) -> BaseMailBox:
    """A logged-in mailbox with the watched folder selected."""
    if settings.security == "tls":
        mailbox = MailBox(
            settings.host, settings.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    elif settings.security == "starttls":
        mailbox = MailBoxStartTls(
            settings.host, settings.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    else:
        mailbox = MailBoxUnencrypted(settings.host, settings.port, timeout=timeout)
    mailbox.email_message_class = RawMailMessage
    try:
        mailbox.login(settings.username, settings.password, initial_folder=settings.folder)
    except Exception:
        with contextlib.suppress(Exception):
            mailbox.client.shutdown()
        raise
    # imaplib keeps the capabilities announced before login; servers say more after it (MOVE,
    # IDLE), and imap-tools reads this attribute to choose a server-side move.
    typ, data = mailbox.client.capability()
    if typ == "OK" and data and data[0]:
        mailbox.client.capabilities = tuple(data[0].decode().upper().split())
    return mailbox


def server_folder_name(mailbox: BaseMailBox, name: str) -> str:
    """A configured folder ("Convoca/Done") in the server's own hierarchy ("Convoca.Done" on a
    server whose delimiter is a dot)."""
    listed = mailbox.folder.list("", "INBOX")
    delimiter = listed[0].delim if listed else "/"
    if delimiter and delimiter.upper() != "NIL":
        return name.replace("/", delimiter)
    return name


def prepare_folders(mailbox: BaseMailBox, settings: ImapSettings) -> tuple[str, str]:
    """The done and unknown folders, as the server names them, made if missing."""
    names = []
    for configured in (settings.done_folder, settings.unknown_folder):
        name = server_folder_name(mailbox, configured)
        if not mailbox.folder.exists(name):
            mailbox.folder.create(name)
        names.append(name)
    return names[0], names[1]


def find_recipient(message: Message) -> str | None:
    """The first address in the delivery headers that is one of ours."""
    for header in RECIPIENT_HEADERS:
        try:
            addresses = getaddresses([str(value) for value in message.get_all(header, [])])
        except Exception:  # a header no parser makes sense of names nobody
            continue
        for _name, address in addresses:
            if address and accepts_recipient(address):
                return address
    return None


@dataclass
class PollReport:
    stored: int = 0
    unknown: int = 0
    later: int = 0  # left in the inbox: the sender or the address is over its hourly limit
    failed: int = 0  # left in the inbox: could not be stored, tried again next poll


def poll_once(
    mailbox: BaseMailBox,
    done_folder: str,
    unknown_folder: str,
    stop: threading.Event | None = None,
    failures: Counter[str] | None = None,
) -> PollReport:
    """Store and file away every message in the selected folder (needs an app context).

    Headers come first, for all messages; a whole message is fetched only when it is for us.
    `failures` counts, by UID, the polls in which a message could not be stored: pass the
    same one to every poll of a mailbox (watch_mailbox does).
    """
    report = PollReport()
    failures = failures if failures is not None else Counter()
    max_bytes = current_app.config["INBOUND_MAX_BYTES"]
    for header in list(mailbox.fetch("ALL", mark_seen=False, headers_only=True, bulk=100)):
        if stop is not None and stop.is_set():
            break
        try:
            outcome = _take(mailbox, header, max_bytes)
        except _NOT_THE_MESSAGE:
            raise
        except Exception:
            db.session.rollback()
            failures[header.uid] += 1
            log.exception(
                "receive-mail: message %s could not be stored (%s of %s tries)",
                header.uid,
                failures[header.uid],
                MAX_STORE_FAILURES,
            )
            if failures[header.uid] < MAX_STORE_FAILURES:
                report.failed += 1
                continue
            del failures[header.uid]
            outcome = "unknown"
        failures.pop(header.uid, None)
        if outcome == "later":
            report.later += 1
        elif outcome == "stored":
            mailbox.move(header.uid, done_folder)
            report.stored += 1
        else:
            log.info(
                "receive-mail: message %s is for none of our addresses, too large, or could "
                "not be stored",
                header.uid,
            )
            mailbox.move(header.uid, unknown_folder)
            report.unknown += 1
    return report


def _take(mailbox: BaseMailBox, header: MailMessage, max_bytes: int) -> str:
    """Store one message if it is for us: "stored", "unknown" (not for us, or too large) or
    "later" (over an hourly limit)."""
    recipient = find_recipient(header.obj) if header.size_rfc822 <= max_bytes else None
    if recipient is None:
        return "unknown"
    sender = parseaddr(header.obj.get("Return-Path", ""))[1]
    if over_address_limit(recipient) or over_hourly_limit(sender, recipient):
        return "later"
    message = next(iter(mailbox.fetch(mark_seen=False, uid_list=[header.uid])), None)
    if message is None:
        return "unknown"
    stored = store_inbound(
        message.raw, recipient=recipient, envelope_from=sender, source=InboundSource.IMAP
    )
    return "unknown" if stored is None else "stored"


def wait_for_mail(
    mailbox: BaseMailBox, stop: threading.Event, idle_seconds: float, poll_seconds: float
) -> None:
    """Return when new mail may have arrived: at once with IDLE, else after `poll_seconds`.

    Under IDLE anything the server says (new mail, a keep-alive, goodbye) ends the wait: the poll
    that follows finds the mail, or fails on a dead connection, which is then made again. The
    socket is watched a second at a time so that a stop is noticed promptly, and IDLE is renewed
    every `idle_seconds` (RFC 2177 asks for less than 29 minutes).
    """
    if "IDLE" not in mailbox.client.capabilities:
        stop.wait(poll_seconds)
        return
    deadline = time.monotonic() + idle_seconds
    with mailbox.idle:  # IDLE, and DONE on the way out
        # Mail that arrived during the last poll was announced before IDLE began, to imaplib.
        if mailbox.client.untagged_responses.pop("EXISTS", None):
            return
        while not stop.is_set() and time.monotonic() < deadline:
            if select.select([mailbox.client.sock], [], [], 1)[0]:
                return


def watch_mailbox(
    app: Flask,
    settings: ImapSettings,
    stop: threading.Event,
    notify: Callable[[], None] | None = None,
    *,
    idle_seconds: float = 300,
    poll_seconds: float = 60,
    retry_seconds: float = 30,
) -> None:
    """Keep the mailbox empty until `stop` is set; after an error (network, login, database)
    wait `retry_seconds` and connect again."""
    failures: Counter[str] = Counter()  # kept across reconnections: UIDs stay valid
    while not stop.is_set():
        try:
            mailbox = connect(settings)
            try:
                done, unknown = prepare_folders(mailbox, settings)
                while not stop.is_set():
                    with app.app_context():
                        try:
                            report = poll_once(mailbox, done, unknown, stop, failures)
                        finally:
                            db.session.remove()
                    if report.stored and notify is not None:
                        notify()
                    wait_for_mail(mailbox, stop, idle_seconds, poll_seconds)
            finally:
                with contextlib.suppress(Exception):  # the connection is often what failed
                    mailbox.logout()
        except Exception:
            log.exception("receive-mail --imap: trying again in %ss", retry_seconds)
            stop.wait(retry_seconds)

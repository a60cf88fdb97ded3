"""`receive-mail` as an SMTP or LMTP server (aiosmtpd).

Unknown addresses are refused at RCPT, before any data. A message is answered 250 only once it
is stored and committed; any failure to store it answers 4xx, so the sending server keeps it and
tries again later: nothing accepted is lost.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from flask import Flask, current_app
from sqlalchemy import func

from app.db_types import utcnow
from app.extensions import db
from app.inbound.models import InboundMessage, InboundSource
from app.inbound.receiving import accepts_recipient, store_inbound

log = logging.getLogger(__name__)

STORED = "250 2.0.0 Message stored"
NO_SUCH_ADDRESS = "550 5.1.1 No such address"
TRY_AGAIN_LATER = "451 4.3.0 try again later"
TOO_MANY = "450 4.7.1 Too many messages from this sender, try again later"
TOO_MANY_FOR_ADDRESS = "450 4.7.1 Too many messages for this address, try again later"


def _address(address: str) -> str:
    """An address as InboundMessage keeps it."""
    return address.strip().strip("<>").lower()[:254]


def over_hourly_limit(sender: str, recipient: str, already_accepted: int = 0) -> bool:
    """Whether this envelope sender has had INBOUND_MAX_PER_SENDER_PER_HOUR messages stored in
    the last hour (counting `already_accepted` more). Counted from the stored rows, so every
    receiving process shares it. The null sender (bounces) is everybody's: for it only the
    messages to this one recipient count."""
    query = (
        db.select(func.count())
        .select_from(InboundMessage)
        .where(InboundMessage.received_at >= utcnow() - timedelta(hours=1))
    )
    if sender:
        query = query.where(func.lower(InboundMessage.envelope_from) == _address(sender))
    else:
        query = query.where(
            InboundMessage.envelope_from == "", InboundMessage.recipient == _address(recipient)
        )
        already_accepted = 0
    limit = current_app.config["INBOUND_MAX_PER_SENDER_PER_HOUR"]
    return db.session.scalar(query) + already_accepted >= limit


def over_address_limit(recipient: str) -> bool:
    """Whether this reply or bounce address has had INBOUND_MAX_PER_ADDRESS_PER_HOUR messages
    stored in the last hour, from anyone: MAIL FROM is whatever the sender claims, so the
    per-sender limit alone lets one sender flood one address under many names."""
    count = db.session.scalar(
        db.select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.received_at >= utcnow() - timedelta(hours=1),
            InboundMessage.recipient == _address(recipient),
        )
    )
    return count >= current_app.config["INBOUND_MAX_PER_ADDRESS_PER_HOUR"]


class InboundHandler:
    """The aiosmtpd hooks. Database work runs in a worker thread with its own app context, so a
    slow database holds up one conversation, not the server; any error there answers 4xx (an
    exception left to aiosmtpd would answer 500, a permanent refusal)."""

    def __init__(self, app: Flask, source: InboundSource, notify: Callable[[], None] | None):
        self.app = app
        self.source = source
        self.notify = notify  # called after something was stored (wakes the applier)
        self.storing = 0  # DATA commands being answered; a graceful stop waits for them

    def _in_app_context(self, work: Callable[..., Any], *args) -> Any:
        with self.app.app_context():
            try:
                return work(*args)
            finally:
                db.session.remove()

    async def _with_database(self, work: Callable[..., Any], *args) -> Any:
        return await asyncio.to_thread(self._in_app_context, work, *args)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        sender = "" if address == "<>" else address
        if sender:
            try:
                over = await self._with_database(over_hourly_limit, sender, "")
            except Exception:
                log.exception("receive-mail: MAIL FROM check failed")
                return TRY_AGAIN_LATER
            if over:
                log.warning("receive-mail: %s is over the hourly limit", sender)
                return TOO_MANY
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    def _check_recipient(self, sender: str, recipient: str, already_accepted: int) -> str | None:
        if not accepts_recipient(recipient):
            return NO_SUCH_ADDRESS
        if over_address_limit(recipient):
            log.warning("receive-mail: %s is over its hourly limit", _address(recipient))
            return TOO_MANY_FOR_ADDRESS
        if over_hourly_limit(sender, recipient, already_accepted):
            return TOO_MANY
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sender = "" if envelope.mail_from == "<>" else envelope.mail_from
        try:
            refusal = await self._with_database(
                self._check_recipient, sender, address, len(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("receive-mail: RCPT check failed")
            return TRY_AGAIN_LATER
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    def _store(self, raw: bytes, recipient: str, sender: str) -> bool:
        stored = store_inbound(raw, recipient=recipient, envelope_from=sender, source=self.source)
        return stored is not None

    async def handle_DATA(self, server, session, envelope):
        sender = "" if envelope.mail_from == "<>" else envelope.mail_from
        raw = envelope.original_content
        self.storing += 1
        try:
            replies: dict[str, str] = {}
            for recipient in dict.fromkeys(_address(a) for a in envelope.rcpt_tos):
                try:
                    stored = await self._with_database(self._store, raw, recipient, sender)
                except Exception:
                    log.exception("receive-mail: could not store a message for %s", recipient)
                    replies[recipient] = TRY_AGAIN_LATER
                else:
                    # Not stored: the address died between RCPT and DATA (a revoked link).
                    replies[recipient] = STORED if stored else NO_SUCH_ADDRESS
        finally:
            self.storing -= 1
        if STORED in replies.values() and self.notify is not None:
            self.notify()
        if self.source is InboundSource.LMTP:
            # LMTP: one reply per accepted RCPT, in their order (RFC 2033).
            return "\r\n".join(replies[_address(a)] for a in envelope.rcpt_tos)
        # SMTP has one reply for all. A 4xx makes the sender retry every recipient; those stored
        # already come twice, and the applier ignores a repeat.
        for reply in (TRY_AGAIN_LATER, STORED):
            if reply in replies.values():
                return reply
        return NO_SUCH_ADDRESS


class _LMTPController(Controller):
    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)


def _tls_context(config) -> ssl.SSLContext | None:
    cert, key = config["INBOUND_TLS_CERT_FILE"], config["INBOUND_TLS_KEY_FILE"]
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def make_server(
    app: Flask,
    host: str,
    port: int,
    *,
    lmtp: bool = False,
    notify: Callable[[], None] | None = None,
) -> Controller:
    """A server (not started) that stores mail for our addresses; `notify` is called after
    each message stored."""
    handler = InboundHandler(app, InboundSource.LMTP if lmtp else InboundSource.SMTP, notify)
    options: dict[str, Any] = {
        "data_size_limit": app.config["INBOUND_MAX_BYTES"],
        "decode_data": False,  # keep the bytes as sent
        "ident": "Convoca receive-mail",
        "server_hostname": socket.getfqdn(),  # once, not for every connection
    }
    tls = _tls_context(app.config)
    if tls is not None:
        options["tls_context"] = tls  # offered as STARTTLS, not required
    controller_class = _LMTPController if lmtp else Controller
    return controller_class(handler, hostname=host, port=port, **options)


def stop_server(server: Controller, grace: float = 10.0) -> None:
    """Stop taking connections, let messages being stored get their answer (up to `grace`
    seconds), then stop."""
    if server.server is not None:
        server.loop.call_soon_threadsafe(server.server.close)
    deadline = time.monotonic() + grace
    while server.handler.storing and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()

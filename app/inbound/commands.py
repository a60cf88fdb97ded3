"""`flask receive-mail`: take answers from calendar apps (and bounces) in, and apply them.

Two threads: the receiver (an SMTP/LMTP server, or an IMAP watcher) stores messages; this
command's own loop applies what is stored, woken by each new message and every `--interval`
seconds anyway. The loop also picks up messages stored while no applier ran (a crash, a
restart), and a failure to apply never makes the receiver refuse mail.
"""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.inbound.imap import ImapSettings, watch_mailbox
from app.inbound.processing import process_received
from app.inbound.server import make_server, stop_server

log = logging.getLogger(__name__)

APPLY_BATCH = 100


def apply_received() -> int:
    """Apply everything stored and not yet looked at; the number of messages handled."""
    handled = 0
    while True:
        count = process_received(limit=APPLY_BATCH)
        handled += count
        if count < APPLY_BATCH:
            return handled


def apply_until_stopped(stop: threading.Event, wake: threading.Event, interval: float) -> None:
    """Apply stored messages whenever `wake` is set, at least every `interval` seconds, until
    `stop` is set. Errors are logged and retried on the next round."""
    while not stop.is_set():
        try:
            apply_received()
        except SQLAlchemyError as error:
            pause = current_app.config["MAIL_DB_RETRY_SECONDS"]
            log.error("receive-mail: database error while applying, again in %ss: %s", pause, error)
            stop.wait(pause)
        except Exception:
            log.exception("receive-mail: could not apply received messages")
        finally:
            db.session.remove()
        wake.wait(interval)
        wake.clear()


@click.command("receive-mail")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, help="Port to listen on.")
@click.option("--lmtp", is_flag=True, help="Speak LMTP (behind Postfix) instead of SMTP.")
@click.option("--imap", is_flag=True, help="Poll the IMAP_URL mailbox instead of listening.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between apply passes.")
@with_appcontext
def receive_mail_command(host: str, port: int, lmtp: bool, imap: bool, interval: float) -> None:
    """Receive answers from calendar apps and bounces, and apply them."""
    app = current_app._get_current_object()
    if not app.config["INBOUND_EMAIL_DOMAIN"]:
        raise click.UsageError("INBOUND_EMAIL_DOMAIN is not set: there is no address to receive.")
    if imap:
        try:
            settings = ImapSettings.from_config(app.config)
        except ValueError as error:
            raise click.UsageError(str(error)) from None

    stop, wake = threading.Event(), threading.Event()

    def request_stop(signum, frame) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    if imap:
        receiver = threading.Thread(
            target=watch_mailbox, args=(app, settings, stop, wake.set), name="imap"
        )
        receiver.start()
        click.echo(f"receive-mail: watching {settings.folder} on {settings.host}")
        try:
            apply_until_stopped(stop, wake, interval)
        finally:
            stop.set()
            receiver.join()
    else:
        server = make_server(app, host, port, lmtp=lmtp, notify=wake.set)
        server.start()
        click.echo(f"receive-mail: {'LMTP' if lmtp else 'SMTP'} on {host}:{port}")
        try:
            apply_until_stopped(stop, wake, interval)
        finally:
            stop_server(server)
    click.echo("receive-mail: stopped")

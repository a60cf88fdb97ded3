"""`flask send-mail`: deliver the outbox once, or keep delivering as a worker (which also
queues the reminders that come due)."""

import time

import click
from flask.cli import with_appcontext

from app.db_types import utcnow
from app.events.reminders import send_due_reminders
from app.extensions import db
from app.mail.sender import deliver_pending, retry_failed


@click.command("send-mail")
@click.option(
    "--loop",
    is_flag=True,
    help="Keep running, delivering as messages come due and queueing due reminders.",
)
@click.option("--interval", default=2.0, show_default=True, help="Seconds between passes.")
@click.option("--retry-failed", "retry", is_flag=True, help="Requeue messages that gave up.")
@with_appcontext
def send_mail_command(loop: bool, interval: float, retry: bool) -> None:
    """Deliver pending email from the outbox."""
    if retry:
        click.echo(f"Requeued {retry_failed()} failed messages.")
    while True:
        if loop:
            reminders = send_due_reminders(utcnow())
            if reminders:
                click.echo(f"reminders queued: {reminders}")
        report = deliver_pending()
        if report.attempted or not loop:
            click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        db.session.remove()  # a fresh session each pass: no stale identity map in a worker
        if not loop:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return

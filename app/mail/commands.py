"""`flask send-mail`: deliver the outbox once, or keep delivering as a worker (which also
queues the reminders that come due)."""

import click
from flask.cli import with_appcontext

from app.mail.sender import retry_failed
from app.mail.worker import run_worker


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
    run_worker(loop=loop, interval=interval, echo=click.echo)

"""`flask purge-personal-data`: forget what is past its retention period, now or as of a date
(after restoring an old backup, say)."""

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from app.db_types import utcnow
from app.extensions import db
from app.privacy.retention import purge_personal_data


@click.command("purge-personal-data")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Purge as if it were this day (00:00 UTC). Default: now.",
)
@with_appcontext
def purge_personal_data_command(as_of: datetime | None) -> None:
    """Delete ID details and anonymize attendees past their retention periods."""
    moment = as_of.replace(tzinfo=UTC) if as_of is not None else utcnow()
    report = purge_personal_data(moment)
    db.session.commit()
    click.echo(f"Purged personal data as of {moment.isoformat(timespec='minutes')}:")
    for line in report.lines():
        click.echo(f"  {line}")

"""`flask seed-demo`: load (or refresh) the demo calendar of app/demo/data.py."""

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from app.demo.data import DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD
from app.demo.seed import seed_demo, seed_demo_organizer
from app.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load (or refresh) the demo calendar, and in development a demo organizer account."""
    events = seed_demo(date.today())
    with_account = current_app.config["SEED_DEMO_ORGANIZER"]
    if with_account:
        seed_demo_organizer()
    db.session.commit()
    click.echo(f"Demo calendar ready: {len(events)} events.")
    if with_account:
        click.echo(
            f"Organizer sign-in (development only): {DEMO_ORGANIZER_EMAIL} / "
            f"{DEMO_ORGANIZER_PASSWORD} at /organizer/login"
        )

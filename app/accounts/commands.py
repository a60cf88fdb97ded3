"""`flask create-organizer EMAIL`: make an organizer (or admin) account."""

import sys

import click
from flask.cli import with_appcontext

from app.accounts import services
from app.accounts.labels import error_message
from app.accounts.models import Role
from app.extensions import db


@click.command("create-organizer")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--admin", is_flag=True, help="Also manages organizer accounts.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_organizer_command(email: str, name: str, admin: bool, password_stdin: bool) -> None:
    """Create an organizer account; prompts for the password unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, password, Role.ADMIN if admin else Role.ORGANIZER, name)
    except services.AccountError as error:
        raise click.ClickException(error_message(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email}.")

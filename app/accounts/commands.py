"""`flask create-organizer EMAIL`: make an organizer, admin or host account."""

import sys

import click
from flask.cli import with_appcontext

from app.accounts import services
from app.accounts.labels import error_message
from app.accounts.models import Role
from app.events.directory import find_organization
from app.extensions import db


@click.command("create-organizer")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--admin", is_flag=True, help="Also manages organizer accounts.")
@click.option(
    "--host",
    "host_organization",
    metavar="ORGANIZATION",
    help="A host account instead: it reads only the host lists of this organization's events.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_organizer_command(
    email: str, name: str, admin: bool, host_organization: str | None, password_stdin: bool
) -> None:
    """Create an organizer account; prompts for the password unless --password-stdin."""
    organization = None
    if host_organization is not None:
        if admin:
            raise click.UsageError("--admin and --host exclude each other.")
        organization = find_organization(host_organization)
        if organization is None:
            raise click.ClickException(f"No organization is called {host_organization!r}.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    role = Role.HOST if organization else Role.ADMIN if admin else Role.ORGANIZER
    try:
        user = services.create_user(email, password, role, name, organization=organization)
    except services.AccountError as error:
        raise click.ClickException(error_message(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email}.")

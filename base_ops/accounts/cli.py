"""`flask users create` and `flask users token` (docs/api.md command line, binding)."""

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from base_ops.accounts import services
from base_ops.accounts.models import Role, User
from base_ops.core.errors import DomainError
from base_ops.extensions import db

users_cli = click.Group("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_code", help="Region code (county officers).")
@click.option("--base", "base_ids", type=int, multiple=True, help="Base id (managers, trainers); repeatable.")
@click.option("--enterprise", "enterprise_id", type=int, help="Enterprise id (enterprise users).")
@click.option("--name", "display_name", help="Display name.")
@click.option("--email", help="E-mail address for the daily reminder digest.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
@with_appcontext
def create_user(username, role, region_code, base_ids, enterprise_id, display_name, email, password_stdin):
    """Create USERNAME with ROLE and its scope."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(
            None, username=username, role=role, password=password, display_name=display_name,
            region_code=region_code, base_ids=list(base_ids), enterprise_id=enterprise_id, email=email,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created user {user.username} (id {user.id}, role {user.role})")


@users_cli.command("token")
@click.argument("username")
@with_appcontext
def token(username):
    """Print a bearer token for USERNAME as the last line (operator is trusted: no second factor)."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_enabled:
        raise click.ClickException(f"no enabled user {username!r}")
    value, expires_at = services.issue_token(user, via="cli")
    click.echo(f"expires at {expires_at.isoformat()}", err=True)
    click.echo(value)

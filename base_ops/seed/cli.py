"""`flask seed regions` and `flask seed demo` (api.md command line)."""

import click
import pyotp
from flask.cli import with_appcontext

from base_ops.seed import loaders

seed_cli = click.Group("seed", help="Load reference and demo data.")


@seed_cli.command("regions")
@with_appcontext
def regions():
    """Every province, city and county of GB/T 2260, from seed/regions.csv."""
    count = loaders.load_regions()
    click.echo(f"loaded {count} regions")


@seed_cli.command("demo")
@with_appcontext
def demo():
    """Regions plus the demo city, bases, enterprise and one user per role."""
    if loaders.load_demo():
        click.echo("demo data loaded")
    else:
        click.echo("demo data already present; nothing changed")


@seed_cli.command("demo-logins")
@with_appcontext
def demo_logins():
    """Print the demo logins, with the current second-factor code where one is needed."""
    data = loaders.demo_data()
    click.echo(f"{'user':<14}{'role':<16}{'password':<20}{'TOTP code now':<14}TOTP secret")
    for spec in data["users"]:
        secret = spec.get("totp_secret")
        code = pyotp.TOTP(secret).now() if secret else "-"
        click.echo(f"{spec['username']:<14}{spec['role']:<16}{data['password']:<20}{code:<14}{secret or '-'}")

"""`flask seed regions`, `flask seed policies`, `flask seed demo` and `flask seed synthetic` (docs/api.md command
line)."""

import sys

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


@seed_cli.command("policies")
@with_appcontext
def policies():
    """The seeds' policy documents for their regions (Shanxi, Ningxia, Rongchang) and the demo region's own,
    from seed/policies.json; needs the regions."""
    count = loaders.load_policies()
    click.echo(f"added {count} policies")


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


@seed_cli.command("synthetic")
@click.option("--scale", type=click.Choice(["small", "county", "province"]), default="small", show_default=True,
              help="small: a few bases (tests); county: about 1/20 of province; province: about 150 bases, "
                   "100,000 residents (PostgreSQL).")
@click.option("--province", "province_code", default="330000", show_default=True,
              help="The province (GB/T 2260 code) whose counties get the bases.")
@click.option("--seed", "seed_value", type=int, default=7, show_default=True,
              help="Random seed (same seed, same data).")
@click.option("--password-stdin", is_flag=True, help="Read the synthetic users' password from standard input.")
@with_appcontext
def synthetic(scale, province_code, seed_value, password_stdin):
    """Synthetic bases, residents, stays, training, placements and claims over three years (deterministic)."""
    from base_ops.seed import synthetic as synth

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else synth.DEFAULT_PASSWORD
    if not password:
        raise click.ClickException("no password on standard input")
    click.echo(f"building the {scale} synthetic data set for province {province_code} ...")
    try:
        counts = synth.seed_synthetic(scale, province_code, seed_value, password, log=click.echo)
    except synth.AlreadySeeded as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    secret = counts.pop("_totp_secret")
    seconds = counts.pop("seconds")
    for table, count in sorted(counts.items()):
        click.echo(f"  {table:<24}{count:>10,}")
    click.echo(f"done in {seconds:.1f} s")
    click.echo(f"logins (password {'from stdin' if password_stdin else password}):")
    for key, username in synth.USERNAMES.items():
        totp = f"  TOTP secret {secret} (code now {pyotp.TOTP(secret).now()})" if key in ("province", "county") else ""
        click.echo(f"  {username:<16}{totp}")

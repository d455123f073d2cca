"""`flask audit verify`: exit 0 when the chain is intact, else non-zero naming the first bad row."""

import sys

import click
from flask.cli import with_appcontext

from base_ops.core import audit

audit_cli = click.Group("audit", help="Audit log tools.")


@audit_cli.command("verify")
@with_appcontext
def verify():
    result = audit.verify()
    if result.ok:
        click.echo(f"audit chain intact: {result.rows_checked} rows")
        return
    click.echo(f"audit chain BROKEN at row seq {result.bad_seq}: {result.reason}", err=True)
    sys.exit(1)

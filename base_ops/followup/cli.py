"""`flask follow-ups schedule`: the follow-up dues of every discharged stay that has none (existing data)."""

import click
from flask.cli import AppGroup, with_appcontext

follow_ups_cli = AppGroup("follow-ups", help="Follow-up through the support period (帮教回访).")


@follow_ups_cli.command("schedule")
@with_appcontext
def schedule_command():
    """Create the missing dues of every person's last discharged stay; idempotent (docs/api.md "Follow-up")."""
    from base_ops.followup import services

    click.echo(f"follow-up dues added: {services.schedule_all()}")

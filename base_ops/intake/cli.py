"""`flask calendar refresh`: add the days the installed chinesecalendar knows to the work calendar."""

import click
from flask.cli import with_appcontext

from base_ops.intake.notices import services as notices
from base_ops.intake.notices.queries import calendar_years

calendar_cli = click.Group("calendar", help="The working-day calendar used for receipt deadlines.")


@calendar_cli.command("refresh")
@with_appcontext
def refresh():
    """Insert missing days (and correct days from an older chinesecalendar); days an admin set are kept."""
    inserted, corrected = notices.refresh_calendar(None)
    first, last = calendar_years()
    click.echo(f"inserted {inserted} days, corrected {corrected}; the calendar covers {first}-{last}")

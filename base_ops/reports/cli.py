"""`flask reports summarize`: rebuild the monthly summaries the dashboards read (reports/summaries.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from base_ops.reports import summaries

reports_cli = AppGroup("reports", help="Reports: rebuild the monthly summaries the dashboards read.")


@reports_cli.command("summarize")
@click.option("--months", type=click.IntRange(1, 120), default=summaries.DEFAULT_MONTHS, show_default=True,
              help="How many closed months before this one to rebuild.")
def summarize(months: int):
    """Rebuild the summaries of the last closed months and of this month's days before today from the live
    statements (idempotent; run nightly)."""
    written = summaries.summarize(months)
    click.echo(f"reports summarize: {months} closed month(s) and this month's past days rebuilt, "
               f"{written} summary row(s)")

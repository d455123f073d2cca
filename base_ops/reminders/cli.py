"""`flask reminders run [--date YYYY-MM-DD]`: the day's items, then the mail digests."""

from datetime import datetime

import click
from flask.cli import AppGroup, with_appcontext

reminders_cli = AppGroup("reminders", help="Reminders: compute the day's items and send digests.")


def run_and_mail(day=None) -> tuple:
    """The run (one unit of work, committed), then the digests (after the commit). Also the RQ job."""
    from base_ops.reminders import mail, services

    result = services.run(day)
    return result, mail.send_digests(result.day)


@reminders_cli.command("run")
@click.option("--date", "day", help="The day to compute (YYYY-MM-DD); today in China time by default.")
@click.option("--enqueue", is_flag=True, help="Queue the run on the RQ queue of the exports worker (REDIS_URL).")
@with_appcontext
def run_command(day, enqueue):
    """Add the day's new items, close those whose work is done, then mail each user's digest."""
    try:
        on = datetime.strptime(day, "%Y-%m-%d").date() if day else None
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    if enqueue:
        from base_ops.reports.exports.services import rq_queue

        rq_queue().enqueue(run_and_mail, on, description="reminders run")
        click.echo("queued")
        return
    result, sent = run_and_mail(on)
    click.echo(f"{result.day.isoformat()}: added {result.added}, closed {result.closed}, open {result.open}; "
               f"digests sent {sent}")

"""`flask exports purge` (delete expired export files) and `flask exports worker` (the RQ worker for exports)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from base_ops.reports.exports import services as jobs

exports_cli = AppGroup("exports", help="Background exports: purge expired files, run the RQ worker.")


@exports_cli.command("purge")
def purge():
    """Delete export files past their keep time (EXPORT_KEEP_HOURS) and files no finished job owns."""
    changed = jobs.purge_expired()
    orphans = jobs.purge_orphans()
    click.echo(f"export purge: {changed} job(s) expired or marked interrupted, {orphans} stray file(s) deleted")


@exports_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool):
    """Run an RQ worker on the export queue (needs REDIS_URL)."""
    from rq import Worker

    from base_ops.extensions import db

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without Redis, exports run in a thread of the web process.")
    queue = jobs.rq_queue()
    # Each job runs in a forked work horse that inherits this app: it must not share pooled connections.
    db.engine.dispose()
    Worker([queue], connection=queue.connection).work(burst=burst)

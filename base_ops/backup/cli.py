"""`flask backup PATH` and `flask restore PATH` (docs/api.md "Command line").

The operator at the server's shell is trusted (docs/api.md: no second factor on the command line); both
commands are audited. Exit status: 0 done, 1 refused or failed with the reason on stderr.
"""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from base_ops.backup.archive import BackupError, backup, restore


@click.command("backup", help="Write one archive (zip) of the database and the uploaded files to PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    try:
        summary = backup(path, progress=click.echo)
    except BackupError as error:
        click.echo(f"backup refused: {error}", err=True)
        sys.exit(1)
    click.echo(f"backup written to {path}: {len(summary.tables)} tables, {summary.rows} rows, "
               f"{summary.files} files, schema revision {summary.revision}")


@click.command("restore", help="Load an archive from `flask backup` into the configured, empty database.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    try:
        summary = restore(path, progress=click.echo)
    except BackupError as error:
        click.echo(f"restore refused: {error}", err=True)
        sys.exit(1)
    click.echo(f"restored {path}: {len(summary.tables)} tables, {summary.rows} rows, {summary.files} files; "
               "schema upgraded to the current revision")

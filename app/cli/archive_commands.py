"""`engram export` and `engram restore`: the encrypted archive, beside the window's buttons."""

from __future__ import annotations

from pathlib import Path

import click

from app import archive
from app.cli._common import (
    friendly,
    open_engram,
    paths_of,
    print_json,
    read_passphrase,
)
from app.errors import AppError
from app.services import Engram

ENV_ARCHIVE_PASSPHRASE = "ENGRAM_ARCHIVE_PASSPHRASE"


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-frames", is_flag=True, help="Leave the kept screenshots out.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def export(ctx: click.Context, file: Path, no_frames: bool, as_json: bool) -> None:
    """Write every observation, kept screenshot, memory and setting to an encrypted archive FILE,
    under a passphrase of its own (asked twice; $ENGRAM_ARCHIVE_PASSPHRASE for scripts). From a
    damaged database it saves what can still be read."""
    with open_engram(ctx) as engram:
        passphrase = read_passphrase("Archive passphrase", confirm=True, env=ENV_ARCHIVE_PASSPHRASE)
        report = archive.export_archive(engram, file, passphrase, include_frames=not no_frames)
    if as_json:
        print_json(report)
    else:
        click.echo(report.summary("Exported") + f" to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def restore(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Add what an archive FILE holds to this data directory (what is here already is skipped).
    Where the database was lost (missing or empty beside its key), a new one is made first and the
    remains of the old one are kept aside."""
    paths = paths_of(ctx)
    # The whole archive is read and checked before the data directory is touched.
    found = archive.read_archive(file, read_passphrase("Archive passphrase", env=ENV_ARCHIVE_PASSPHRASE))
    try:
        engram = Engram.unlock_to_restore(paths)  # the key cached in the keyring, if there is one
    except AppError:
        engram = Engram.unlock_to_restore(paths, read_passphrase())
    with engram:
        report = archive.import_contents(engram, found, file)
    if as_json:
        print_json(report)
    else:
        click.echo(report.summary("Restored") + f" from {file.name}.")


COMMANDS = [export, restore]

"""`engram app`: the desktop window (also what `engram` alone starts where there is a display)."""

from __future__ import annotations

import sys

import click

from app.cli._common import friendly, paths_of


@click.command("app")
@click.option("--hidden", is_flag=True, help="Start in the tray without opening the window (e.g. at login).")
@click.pass_context
@friendly
def app_(ctx: click.Context, hidden: bool) -> None:
    """Open the Engram window (tray, timeline, ask, memories, settings)."""
    from app.gui import run  # Qt loads only for the window, not for every command

    sys.exit(run(paths_of(ctx), hidden=hidden))


COMMANDS = [app_]

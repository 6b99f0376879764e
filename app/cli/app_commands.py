"""`engram app`: the desktop window (also what `engram` alone starts where there is a display)."""

from __future__ import annotations

import sys

import click

from app import autostart
from app.cli._common import friendly, paths_of


@click.command("app")
@click.option("--hidden", is_flag=True, help="Start in the tray without opening the window (e.g. at login).")
@click.pass_context
@friendly
def app_(ctx: click.Context, hidden: bool) -> None:
    """Open the Engram window (tray, timeline, ask, memories, settings)."""
    from app.gui import run  # Qt loads only for the window, not for every command

    sys.exit(run(paths_of(ctx), hidden=hidden))


@click.command("autostart")
@click.argument("state", type=click.Choice(["on", "off"]), required=False)
@click.pass_context
@friendly
def autostart_(ctx: click.Context, state: str | None) -> None:
    """Start Engram in the tray when you log in (on), or not (off); without an argument, say which."""
    if state is not None:
        autostart.set_enabled(state == "on", paths_of(ctx))
    on = autostart.enabled()
    click.echo(f"Engram starts when you log in ({autostart.location()})." if on else
               "Engram does not start when you log in.")


COMMANDS = [app_, autostart_]

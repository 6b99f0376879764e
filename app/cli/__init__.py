"""`engram`: the command line over the same services as the window."""

from __future__ import annotations

import os

import click

from app.paths import Paths


@click.group(invoke_without_command=True)
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="ENGRAM_HOME",
              help="Data directory (default: the platform's user data dir; or $ENGRAM_HOME).")
@click.option("--model", "model_file", type=click.Path(exists=True, dir_okay=False), envvar="ENGRAM_MODEL",
              help="A GGUF model to use for this run instead of the one chosen in settings ($ENGRAM_MODEL).")
@click.version_option(package_name="engram")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, model_file: str | None) -> None:
    """Engram: a private, encrypted memory of what you see on your screen."""
    os.umask(0o077)  # every file Engram writes is private to the user
    if model_file:  # one way in for every command and the window: services read $ENGRAM_MODEL
        os.environ["ENGRAM_MODEL"] = os.path.abspath(model_file)
    ctx.obj = Paths.resolve(data_dir)
    if ctx.invoked_subcommand is None:
        from app.gui import display_available

        if display_available():
            from app.cli.app_commands import app_

            ctx.invoke(app_)
        else:  # a terminal without a display: say where things stand instead
            from app.cli.store_commands import status

            ctx.invoke(status)
            click.echo("(no display here: run 'engram app' in a desktop session to open the window)")


def _register() -> None:
    from app.cli import (
        app_commands,
        archive_commands,
        capture_commands,
        doctor_commands,
        memory_commands,
        model_commands,
        store_commands,
    )

    for module in (store_commands, archive_commands, memory_commands, model_commands, capture_commands,
                   doctor_commands, app_commands):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

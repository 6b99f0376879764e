"""Commands over the store: init, status, import, observations, memories, forget, passwd, frames."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli._common import (
    ENV_NEW_PASSPHRASE,
    PassphraseUnavailable,
    friendly,
    local,
    open_engram,
    parse_time,
    paths_of,
    print_json,
    read_passphrase,
)
from app.errors import AppError
from app.services import Engram, change_passphrase, locked_status
from memory import MemoryType

_TYPES = click.Choice([k.value for k in MemoryType])


@click.command()
@click.option("--remember/--no-remember", default=False,
              help="Cache the unlocked key in the OS keyring (where there is one).")
@click.pass_context
@friendly
def init(ctx: click.Context, remember: bool) -> None:
    """Create a private, encrypted data directory."""
    paths = paths_of(ctx)
    if paths.is_initialized():
        raise AppError(f"{paths.root} already holds Engram data; nothing was changed")
    passphrase = read_passphrase("Choose a passphrase", confirm=True)
    with Engram.create(paths, passphrase) as engram:
        cached = engram.remember_key(remember) if remember else False
    click.echo(f"Created an encrypted Engram store in {paths.root}")
    if remember and not cached:
        click.echo("No OS keyring here: you will be asked for the passphrase each time.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@friendly
def status(ctx: click.Context, as_json: bool = False) -> None:
    """Where the data is, whether it is unlocked, and what it holds."""
    paths = paths_of(ctx)
    if not paths.is_initialized():
        result = locked_status(paths)
    else:
        try:
            engram = open_engram(ctx)
        except PassphraseUnavailable:
            result = locked_status(paths)
        else:
            with engram:
                result = engram.status()
    if as_json:
        print_json(result)
        return
    click.echo(f"data directory: {result.data_dir}")
    if not result.initialized:
        click.echo("state:          not set up (run 'engram init')")
        return
    click.echo(f"state:          {'unlocked' if result.unlocked else 'locked'}")
    click.echo(f"on disk:        {result.bytes_on_disk / 1e6:.1f} MB (encrypted)")
    if result.unlocked:
        click.echo(f"observations:   {result.observations} ({result.pending_observations} not yet "
                   "turned into memories)")
        click.echo("memories:       " + ", ".join(f"{k} {n}" for k, n in result.memories.items()))
        for key, value in result.extra.items():
            click.echo(f"{key + ':':<16}{value}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def import_(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Import observations from a JSON-lines FILE (time, app, title, url, text, source_id)."""
    with open_engram(ctx) as engram:
        report = engram.import_jsonl(file)
    if as_json:
        print_json(report)
    else:
        click.echo(f"imported {report.imported} observations from {file.name}"
                   + (f" ({report.skipped} already present, skipped)" if report.skipped else ""))


@click.command()
@click.option("--since", help="ISO-8601 date or time.")
@click.option("--until", help="ISO-8601 date or time (exclusive).")
@click.option("--app", help="Only this app.")
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def observations(ctx, since, until, app, limit, as_json) -> None:
    """List the raw log."""
    with open_engram(ctx) as engram:
        rows = engram.observations(since=parse_time(since), until=parse_time(until), app=app,
                                   limit=limit)
    if as_json:
        print_json(rows)
        return
    for o in rows:
        text = " ".join(o.text.split())
        click.echo(f"{o.id:>6}  {local(o.time)}  {o.app[:16]:<16} {text[:90]}")
    if not rows:
        click.echo("no observations")


@click.command()
@click.option("--type", "kind", type=_TYPES, help="Only this memory type.")
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def memories(ctx, kind, limit, as_json) -> None:
    """List memories, most recently changed first."""
    with open_engram(ctx) as engram:
        rows = engram.memories(MemoryType(kind) if kind else None, limit=limit)
    if as_json:
        print_json(rows)
        return
    for m in rows:
        click.echo(f"{m.id:<16} {local(m.updated_at)}  {m.headline()[:100]}")
    if not rows:
        click.echo("no memories")


@click.command()
@click.option("--memory", "memory_id", help="A memory id, e.g. semantic:12.")
@click.option("--app", help="Everything seen in this app.")
@click.option("--since", help="Start of a time range (ISO-8601).")
@click.option("--until", help="End of a time range (ISO-8601, exclusive).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def forget(ctx, memory_id, app, since, until, yes, as_json) -> None:
    """Erase a memory, an app's data or a time range from every layer."""
    if not (memory_id or app or since or until):
        raise click.UsageError("say what to forget: --memory ID, --app NAME, or --since/--until")
    if memory_id and (app or since or until):
        raise click.UsageError("--memory cannot be combined with --app or a time range")
    if not yes and not as_json:
        click.confirm("This cannot be undone. Forget it?", abort=True)
    with open_engram(ctx) as engram:
        report = engram.forget(memory_id=memory_id, app=app, since=parse_time(since),
                               until=parse_time(until))
    if as_json:
        print_json(report)
    else:
        click.echo(report.summary())


@click.command()
@click.pass_context
@friendly
def passwd(ctx) -> None:
    """Change the passphrase (re-wraps the key; the data is not re-encrypted)."""
    paths = paths_of(ctx)
    old = read_passphrase("Current passphrase")
    new = read_passphrase("New passphrase", confirm=True, env=ENV_NEW_PASSPHRASE)
    change_passphrase(paths, old, new)
    click.echo("Passphrase changed.")


@click.command()
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_context
@friendly
def keyring(ctx, state) -> None:
    """Cache the unlocked key in the OS keyring (on), or stop (off)."""
    with open_engram(ctx) as engram:
        ok = engram.remember_key(state == "on")
    if state == "on" and not ok:
        raise AppError("no OS keyring is available here; the passphrase will be asked each time")
    click.echo("The key is cached in the OS keyring." if state == "on" else
               "The key is no longer cached.")


@click.group("frames", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def frames_group(ctx, as_json) -> None:
    """Kept frames: what they take, and how many days the space limit holds at the current rate."""
    if ctx.invoked_subcommand is not None:
        return
    from app.frames import frame_retention

    with open_engram(ctx) as engram:
        retention = frame_retention(engram)
    if as_json:
        print_json(retention.__dict__ | {"days_held": retention.days_held,
                                         "cap_cuts_in": retention.cap_cuts_in})
    else:
        click.echo(f"frames: {retention.line()}")


@frames_group.command("migrate")
@click.pass_context
@friendly
def frames_migrate(ctx) -> None:
    """Move frames kept by earlier versions (one file each) into chunks stored as changes."""
    from app.frames import migrate_frames

    with open_engram(ctx) as engram, click.progressbar(length=1, label="frames", show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        report = migrate_frames(engram, progress)
    click.echo(f"moved {report.moved} frames: {report.bytes_before / 1e6:.1f} MB -> "
               f"{report.bytes_after / 1e6:.1f} MB"
               + (f"; {len(report.unreadable)} could not be read and stay as they are"
                  if report.unreadable else ""))


COMMANDS = [init, status, import_, observations, memories, forget, passwd, keyring, frames_group]

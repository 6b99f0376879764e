"""What every command shares: the data directory, the passphrase, and output."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path

import click

from app.errors import AppError
from app.paths import Paths
from app.services import Engram
from memory import StoreError, clamped_time

ENV_PASSPHRASE = "ENGRAM_PASSPHRASE"
ENV_NEW_PASSPHRASE = "ENGRAM_NEW_PASSPHRASE"


def paths_of(ctx: click.Context) -> Paths:
    return ctx.find_root().obj


class PassphraseUnavailable(AppError):
    """No terminal to ask on and no passphrase in the environment."""


def read_passphrase(prompt: str = "Passphrase", *, confirm: bool = False, env: str = ENV_PASSPHRASE) -> str:
    """From the environment (scripts) or a hidden prompt (people); never from an argument."""
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise PassphraseUnavailable(f"no passphrase: run in a terminal, or set {env} for scripts")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def open_engram(ctx: click.Context) -> Engram:
    """Unlock with the cached key if there is one, else with the passphrase."""
    paths = paths_of(ctx)
    try:
        return Engram.unlock(paths)
    except AppError:
        pass
    return Engram.unlock(paths, read_passphrase())


def friendly(fn: Callable) -> Callable:
    """Turn AppError into a one-line error and a non-zero exit."""

    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (AppError, StoreError) as exc:  # StoreError: damage, a full disk, a read-only folder
            raise click.ClickException(str(exc)) from None

    return run


def to_jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        kind = getattr(type(value), "type", None)
        if isinstance(kind, enum.Enum):
            out = {"type": kind.value, **out}
        return out
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: object) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def parse_time(text: str | None) -> datetime | None:
    """An ISO-8601 date or time from the command line, as an aware time: one without an offset
    (a date means its midnight) is read in the user's local time zone. A time outside what Engram
    keeps (1900 to 2199) is moved to that bound: as a filter it means the same."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(argument_text(text).strip())
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 date or time: {argument_text(text)[:40]!r}") from None
    return clamped_time(parsed).astimezone()


def argument_text(text: str) -> str:
    """A command-line argument as text. Bytes the locale could not decode arrive as lone surrogates
    (PEP 383); they are read as Latin-1, the usual other encoding of such a terminal."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte
        return text.encode("utf-8", "replace").decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def local(dt: datetime) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M")

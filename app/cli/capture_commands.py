"""Commands over capture: capture (the headless daemon), pause, resume.

`app.daemon` is imported inside the commands: it loads numpy and the capture package, which
the other commands do not need."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from datetime import UTC, datetime

import click

from app.cli._common import friendly, local, open_engram, print_json
from app.errors import AppError


@click.command()
@click.option("--interval", type=click.FloatRange(min=0.2), help="Seconds between grabs "
              "(default: the capture setting, 3 s).")
@click.option("--duration", type=click.FloatRange(min=0), help="Stop after this many seconds "
              "(default: run until Ctrl-C).")
@click.option("--once", is_flag=True, help="Grab every monitor once, index it, and stop.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary.")
@click.pass_context
@friendly
def capture(ctx: click.Context, interval: float | None, duration: float | None, once: bool,
            as_json: bool) -> None:
    """Capture the screen into the encrypted log (headless; the tray app runs the same daemon)."""
    from app.daemon import CaptureDaemon, CaptureState, load_capture_settings
    from app.vision import frame_captioner
    from capture import screen_problem, screen_warning

    problem = screen_problem()
    if problem:
        raise AppError(problem)
    if screen_warning():
        click.echo(f"note: {screen_warning()}", err=True)
    with open_engram(ctx) as engram:
        settings = load_capture_settings(engram)
        if once:
            settings = dataclasses.replace(settings, interval=3600.0, idle_seconds=0)
        elif interval is not None:
            settings = dataclasses.replace(settings, interval=interval)
        daemon = CaptureDaemon(engram, settings, caption=frame_captioner(engram))
        started = time.time()
        if not as_json:
            click.echo(f"capturing every {settings.interval:g} s"
                       + (f" for {duration:g} s" if duration else "") + " (Ctrl-C to stop)"
                       if not once else "capturing once", err=True)
        daemon.start()
        h = daemon.health()
        try:
            while True:
                time.sleep(0.2)
                h = daemon.health()
                if once and (h.frames or h.state in (CaptureState.ERROR, CaptureState.UNAVAILABLE,
                                                     CaptureState.PAUSED, CaptureState.EXCLUDED,
                                                     CaptureState.IDLE)):
                    break
                if duration is not None and time.time() - started >= duration:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            daemon.stop()
        health = daemon.health()
        since = _utc(started)
        rows = [o for o in engram.observations(since=since) if o.source_kind == "screen"]
    if as_json:
        print_json({"health": health, "observations": rows})
        return
    apps = Counter(o.app for o in rows)
    click.echo(f"captured {health.frames} frames ({health.skipped} needed no OCR), stored "
               f"{len(rows)} observations"
               + (": " + ", ".join(f"{a} {n}" for a, n in apps.most_common()) if apps else ""))
    for o in rows:
        text = " ".join(o.text.split())
        click.echo(f"  {local(o.time)}  {o.app[:16]:<16} {o.title[:30]:<30} {text[:60]}")
    if health.dropped:
        click.echo(f"dropped {health.dropped} frames (OCR could not keep up)")
    if health.last_error:
        click.echo(f"last error: {health.last_error}")
    if h.state is not CaptureState.CAPTURING:  # how it was before it was stopped
        click.echo(f"state: {h.state.value}" + (f": {h.detail}" if h.detail else ""))


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch - 1, UTC)


@click.command()
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True),
              help="Resume by itself after this many minutes (default: until 'engram resume').")
@click.pass_context
@friendly
def pause(ctx: click.Context, minutes: float | None) -> None:
    """Pause screen capture (a running daemon notices within a second)."""
    from app.daemon import pause_capture

    with open_engram(ctx) as engram:
        until = pause_capture(engram, None if minutes is None else minutes * 60)
    click.echo("capture paused " + ("until 'engram resume'" if until is None
                                    else f"until {local(until)}"))


@click.command()
@click.pass_context
@friendly
def resume(ctx: click.Context) -> None:
    """Resume screen capture after 'engram pause' (or a full disk)."""
    from app.daemon import resume_capture

    with open_engram(ctx) as engram:
        resume_capture(engram)
    click.echo("capture resumed")


COMMANDS = [capture, pause, resume]

"""`engram doctor`: a self-check to read or paste; it captures and stores nothing."""

from __future__ import annotations

import click

from app import doctor
from app.cli._common import friendly, paths_of, print_json, to_jsonable

_MARK = {True: "ok  ", False: "FAIL", None: "--  "}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--hide-titles", is_flag=True, help="Leave window titles and addresses out (to paste in public).")
@click.option("--quick", is_flag=True, help="Skip loading OCR, the embedding model and llama.cpp.")
@click.pass_context
@friendly
def doctor_(ctx: click.Context, as_json: bool, hide_titles: bool, quick: bool) -> None:
    """What capture can see here (monitors, the active window, permissions) and whether OCR, the
    embedding model and the language model load. Nothing is captured or stored."""
    if not as_json:
        click.echo("Looking at this machine (nothing is captured or stored)…", err=True)
    report = doctor.examine(paths_of(ctx), hide_titles=hide_titles, components=not quick)
    if as_json:
        print_json({**to_jsonable(report), "problems": report.problems})
        return
    for line in lines(report):
        click.echo(line)


def lines(r: doctor.Report) -> list[str]:
    """The report as text, one fact a line."""
    free = f", {r.free_bytes / 1e9:.0f} GB free" if r.free_bytes is not None else ""
    out = [
        f"Engram      {r.engram} ({r.install} install: {r.executable})",
        f"System      {r.system}; {r.python}",
        f"Machine     {r.machine}",
        f"Session     {r.session}",
        f"Data        {r.data_dir} ({'set up' if r.data_initialized else 'not set up yet'}{free})",
        "",
        "Screen",
        f"  {_MARK[r.screen.ok]} {r.screen.detail}",
    ]
    for m in r.monitors:
        out.append(f"       monitor {m.index}: {m.width}x{m.height} at ({m.left}, {m.top})")
    w = r.active_window
    out += ["", "Active window (as capture sees it)"]
    if w is None or (w.app == "unknown" and not w.title):
        out.append("  --   not known")
    else:
        where = f", {w.geometry[2]}x{w.geometry[3]} at ({w.geometry[0]}, {w.geometry[1]})" if w.geometry else ""
        out.append(f"       app {w.app!r}, title {w.title!r}" + (f", address {w.url}" if w.url else ""))
        flags = [f for f, on in (("private window", w.private), ("screen locked", w.locked)) if on]
        out.append(f"       process {w.pid or 'unknown'}{where}" + (f" ({', '.join(flags)})" if flags else ""))
    out.append(f"       {r.visible_windows} window(s) on screen; idle for {r.idle_seconds:.0f} s")
    out += ["", "Capture access"] + [f"  {_MARK[c.ok]} {c.name}: {c.detail}" for c in r.access]
    if r.components:
        out += ["", "Components"] + [f"  {_MARK[c.ok]} {c.name}: {c.detail}" for c in r.components]
    out.append("")
    out.append("No problems found." if not r.problems else
               f"{len(r.problems)} problem(s): {', '.join(r.problems)}.")
    return out


COMMANDS = [doctor_]

"""Commands over the memory pipeline: process, search, ask, eval."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli._common import argument_text, friendly, local, open_engram, parse_time, print_json
from app.errors import AppError
from memory import MemoryType

_KINDS = click.Choice(["observation", *[k.value for k in MemoryType]])


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def process(ctx, as_json) -> None:
    """Turn every pending observation into memories with the local model, then exit."""
    with open_engram(ctx) as engram:
        pending = engram.store.counts().pending_observations
        if not as_json:
            click.echo(f"{pending} observations waiting; model: {engram.model.name}")
        with click.progressbar(length=1, label="batches", hidden=as_json, show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(1)

            report = engram.process_pending(progress)
        engram.prepare_index()
    if as_json:
        print_json(report.__dict__ | {"results": [r.__dict__ for r in report.results]})
        return
    created = ", ".join(f"{k} {n}" for k, n in sorted(report.created.items())) or "none"
    click.echo(f"{report.batches} batches ({report.retried} of them a later pass over a failed one), "
               f"{report.model_calls} model calls, {report.retries} replies retried, {report.failed} failed "
               f"(their floor memories are kept; they are tried again, smaller, next time); "
               f"memories created: {created}")


@click.command()
@click.argument("query")
@click.option("--type", "kinds", type=_KINDS, multiple=True, help="Only these kinds (repeatable).")
@click.option("--app", help="Only this app.")
@click.option("--since")
@click.option("--until")
@click.option("-k", "k", type=int, default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def search(ctx, query, kinds, app, since, until, k, as_json) -> None:
    """Search observations and memories (full text + vectors + time, fused)."""
    with open_engram(ctx) as engram:
        engram.prepare_index()
        hits = engram.search(argument_text(query), k, kinds=list(kinds) or None, app=app, since=parse_time(since),
                             until=parse_time(until))
    if as_json:
        print_json(hits)
        return
    for h in hits:
        when = local(h.time) if h.time else "undated"
        click.echo(f"{h.ref:<16} {when}  {h.app[:14]:<14} {' '.join(h.headline.split())[:80]}")
    if not hits:
        click.echo("nothing found")


@click.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def ask(ctx, question, as_json) -> None:
    """Answer a question about your history, with sources."""
    with open_engram(ctx) as engram:
        engram.prepare_index()
        streamed: list[str] = []

        def stream(piece: str) -> None:
            streamed.append(piece)
            click.echo(piece, nl=False)

        result = engram.ask(argument_text(question), on_token=None if as_json else stream)
    if as_json:
        print_json(result)
        return
    click.echo()
    if "".join(streamed).strip() != result.text:
        # The answer's check withdrew what was streamed, or a part of it, or wrote out its dates.
        why = "withdrawn: the notes do not say that" if not result.found_anything else "checked against your notes"
        click.echo(f"({why}) {result.text}")
    for n, hit in enumerate(result.citations, start=1):
        when = local(hit.time) if hit.time else "undated"
        click.echo(f"  [{n}] {hit.kind}, {when}, {hit.app or '-'}: {' '.join(hit.headline.split())[:70]}")


@click.group("eval")
def eval_group() -> None:
    """Evaluation on public benchmarks."""


@eval_group.command("locomo")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--k", "ks", default="5,10,25", show_default=True, help="Cut-offs for evidence recall.")
@click.option("--raw-only", is_flag=True, help="Skip the memory managers: the zero-model floor.")
@click.option("--answers/--no-answers", default=True, help="Also generate answers and score token F1.")
@click.option("--limit", type=int, help="Only the first N conversations.")
@click.option("--conversation", "only", multiple=True, help="Only this sample_id (e.g. conv-26); repeatable.")
@click.option("--questions", type=int, help="Answer only N questions sampled at random (recall uses all).")
@click.option("--seed", type=int, default=0, show_default=True, help="The sample's seed: same seed, same questions.")
@click.option("--sessions", type=int, help="Only each conversation's first N sessions (and their questions).")
@click.option("--answers-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write each question, gold answer, answer and F1 to this file (JSON lines).")
@click.option("--store-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each conversation's ingested store here and reuse it next time "
                   "(same file, sessions, mode and model): search and answers change without ingesting again.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def eval_locomo(file, ks, raw_only, answers, limit, only, questions, seed, sessions, store_dir, answers_file,
                as_json) -> None:
    """Evidence recall@k (and answer F1) on a LoCoMo file, in a fresh temporary store."""
    from app.evaluation import run_locomo

    try:
        cutoffs = [int(x) for x in ks.split(",")]
    except ValueError:
        raise AppError(f"--k takes numbers separated by commas, not {ks!r}") from None
    report = run_locomo(file, cutoffs, raw_only=raw_only, answers=answers, limit=limit, only=only,
                        questions=questions, seed=seed, sessions=sessions, progress=None if as_json else click.echo,
                        store_dir=store_dir)
    if answers_file is not None:
        answers_file.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in report.answers_given),
                                encoding="utf-8")
    if as_json:
        print_json(report)
    else:
        click.echo(report.table())


COMMANDS = [process, search, ask, eval_group]

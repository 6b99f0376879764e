"""How well the topic test of memory/episodes.py tells a page turned from a document switched.

    .venv/bin/python bench/episodes.py [--docs 80] [--screen 40] [--no-chrome] [--embeddings]

Reads the manual pages installed on this machine (section 1, `man -P cat`, 100 columns), picked
by a seeded shuffle, as the text of a terminal window of `--screen` lines. Each case is the
episode's last `CONTEXT` screens and a new one: the same page scrolled by 10, 20 or a whole screen
(no line in common), or a screen of another page. With chrome (the default), every screen also
carries a terminal's title bar and menu, as captured windows do. Prints the cosine's quartiles per
case, the share of each case the current `SIMILARITY` calls a new topic, and the threshold where
whole-page turns and switches are misjudged equally often. `--embeddings` adds the sentence
embedding model (all-MiniLM-L6-v2) for comparison: the share misjudged when a split needs both.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from memory.episodes import CONTEXT, SIMILARITY, similarity  # noqa: E402

MAN1 = Path("/usr/share/man/man1")
CHROME = "bash — Konsole\nFile Edit View Bookmarks Settings Help"


def manual_pages(count: int, seed: int) -> list[list[str]]:
    names = sorted(os.listdir(MAN1))
    random.Random(seed).shuffle(names)
    pages = []
    env = dict(os.environ, MANWIDTH="100")
    for name in names:
        if len(pages) >= count:
            break
        out = subprocess.run(["man", "-P", "cat", str(MAN1 / name)], capture_output=True, text=True, env=env,
                             check=False).stdout
        lines = out.splitlines()
        if len(lines) >= 200:
            pages.append(lines)
    return pages


def cases(pages: list[list[str]], height: int, chrome: bool, seed: int) -> dict[str, list[tuple[list[str], str]]]:
    def screen(lines: list[str], at: int) -> str:
        text = "\n".join(lines[at:at + height])
        return f"{CHROME}\n{text}" if chrome else text

    rnd = random.Random(seed)
    out: dict[str, list[tuple[list[str], str]]] = {"scroll 10": [], "scroll 20": [], "page turned": [],
                                                    "another page": []}
    for n, lines in enumerate(pages):
        for at in range(CONTEXT * height, len(lines) - height, 53):
            for name, step in (("scroll 10", 10), ("scroll 20", 20), ("page turned", height)):
                context = [screen(lines, at - k * step) for k in range(CONTEXT, 0, -1)]
                out[name].append((context, screen(lines, at)))
            other = pages[(n + 1 + rnd.randrange(len(pages) - 1)) % len(pages)]
            context = [screen(lines, at - k * height) for k in range(CONTEXT, 0, -1)]
            out["another page"].append((context, screen(other, rnd.randrange(0, len(other) - height))))
    return out


def quartiles(values: list[float]) -> str:
    v = sorted(values)
    return " ".join(f"{v[int(p * (len(v) - 1))]:.2f}" for p in (0.25, 0.5, 0.75))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=80)
    parser.add_argument("--screen", type=int, default=40, help="lines a screen shows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-chrome", action="store_true")
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()

    pages = manual_pages(args.docs, args.seed)
    found = cases(pages, args.screen, not args.no_chrome, args.seed)
    scores = {name: [s for c, t in items if (s := similarity(c, t)) is not None] for name, items in found.items()}
    print(f"{len(pages)} manual pages, {args.screen}-line screens, chrome {'off' if args.no_chrome else 'on'}, "
          f"context {CONTEXT} screens, SIMILARITY {SIMILARITY}")
    for name, values in scores.items():
        share = sum(v < SIMILARITY for v in values) / len(values)
        print(f"  {name:13s} n={len(values):4d}  cosine quartiles {quartiles(values)}  "
              f"called a new topic {share:.1%}")
    turned, other = scores["page turned"], scores["another page"]
    gaps = []
    for step in range(1, 100):
        t = step / 100
        false_split = sum(v < t for v in turned) / len(turned)
        missed = sum(v >= t for v in other) / len(other)
        gaps.append((abs(false_split - missed), t, false_split, missed))
    _, t, false_split, missed = min(gaps)
    print(f"  equal error at {t:.2f}: {false_split:.1%} of page turns split, {missed:.1%} of switches missed")
    if args.embeddings:
        embedded(found, turned, other)


def embedded(found: dict[str, list[tuple[list[str], str]]], turned: list[float], other: list[float]) -> None:
    """Compare: a split needs the terms (below SIMILARITY) and the embeddings (below the cosine
    that misjudges both cases least) to agree."""
    import numpy as np

    from memory.embed import MiniLMEmbedder

    model = MiniLMEmbedder()
    cos = {}
    for name in ("page turned", "another page"):
        items = [(c, t) for c, t in found[name] if similarity(c, t) is not None]
        a, b = model.embed([c[-1] for c, _ in items]), model.embed([t for _, t in items])
        cos[name] = (a * b).sum(axis=1)
    t_turned, t_other = np.array(turned), np.array(other)
    best = min((np.mean((t_turned < SIMILARITY) & (cos["page turned"] < e))
                + np.mean(~((t_other < SIMILARITY) & (cos["another page"] < e))), e)
               for e in np.arange(0.1, 0.8, 0.02))
    e = best[1]
    print(f"  with embeddings (split when both agree, embedding cosine < {e:.2f}): "
          f"{np.mean((t_turned < SIMILARITY) & (cos['page turned'] < e)):.1%} of page turns split, "
          f"{np.mean(~((t_other < SIMILARITY) & (cos['another page'] < e))):.1%} of switches missed")


if __name__ == "__main__":
    main()

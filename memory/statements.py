"""Statements: the lines of a batch that may state a lasting fact, chosen by code for the fact
manager, which then only rewrites each one as a fact (or says it states none).

Small local models cannot both find the facts in a page of observations and write them: asked for
"the lasting facts" of twelve chat lines, Qwen2.5-Coder-0.5B and 1.5B copied the lines in order,
greetings first, or one line four times. Given the candidate lines one by one, numbered, the 1.5B
rewrote each as a correct third-person fact with its date. The choice is by shape, in any script:
a line that asks something or says little ("Thanks, Mel!") is no statement. Each statement keeps
the observation it was read from, so a fact cites exactly the line that states it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from memory.dialogue import speaker_tag, voices
from memory.models import Observation
from memory.relative_dates import annotate
from memory.terms import terms

MAX_STATEMENTS = 8  # a batch's statements per model call (each becomes a fact or nothing)
MIN_TERMS = 4  # distinct content terms: below this a line says too little to state a fact
STATEMENT_CHARS = 300  # a long line is cut: one fact comes from one sentence or two
_SENTENCES = re.compile(r"(?<=[.!?؟])\s+|(?<=[。！？])\s*|\n+")  # CJK sentences end without a space
_QUESTION = re.compile(r"[?？؟]\W*$")


@dataclass(frozen=True)
class Statement:
    """A line that may state a fact: who says it (for a line of a conversation), its text (its
    relative dates written out: "yesterday [7 May 2023]"), and the question it answers, if any,
    from the observation `observation_id`."""

    observation_id: int
    text: str
    speaker: str | None = None
    asked: str = ""

    def render(self, number: int) -> str:
        """The statement as a numbered prompt line; the text stays a quoted string (data)."""
        who = self.speaker or "On screen"
        asked = f" (answering {json.dumps(self.asked, ensure_ascii=False)})" if self.asked else ""
        return f"{number}. {who}{asked}: {json.dumps(self.text, ensure_ascii=False)}"


def statements(observations: Sequence[Observation], limit: int = MAX_STATEMENTS) -> list[Statement]:
    """Up to `limit` statements of `observations`, in order, each once (a window seen again
    repeats most of its text): a turn of a conversation without its questions, or a sentence of
    a page, that carries at least MIN_TERMS content terms. A line is a turn of a conversation
    when its speaker tag ("Anna: ...") is one of the observations' voices (memory.dialogue)."""
    out: list[Statement] = []
    seen: set[str] = set()
    people = voices([o.text for o in observations])
    for o in observations:
        tag = speaker_tag(o.text)
        speaker = tag if tag in people else None
        body = o.text[len(speaker) + 1:] if speaker else o.text
        said = [p for p in _SENTENCES.split(body) if p.strip() and not _QUESTION.search(p)]
        pieces = [" ".join(" ".join(said).split())] if speaker else [" ".join(p.split()) for p in said]
        for piece in pieces:
            key = " ".join(terms(piece))
            if key in seen or len(set(terms(piece))) < MIN_TERMS:
                continue
            seen.add(key)
            when = o.time.astimezone()
            out.append(Statement(o.id, annotate(piece[:STATEMENT_CHARS], when), speaker,
                                 o.context if speaker else ""))
            if len(out) >= limit:
                return out
    return out

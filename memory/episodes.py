"""Episodes: the stretches of the day that the timeline shows as cards and that the memory
managers read as one batch. One segmentation for both, so a card and the memory made of it cover
the same observations.

A new episode starts where the user turned to something else:

- another app, or another window of it (its title, without the counters that tick while one works
  in it: "(3) Inbox" and "(4) Inbox" are one window);
- a pause longer than `gap` (10 minutes unless the caller says otherwise);
- a change of topic inside one window: a terminal or a browser tab whose title stays "bash" while
  its text moves from the curl manual to an introduction to Bash.

The topic test is a streaming TextTiling (Hearst, 1997): the cosine between the content-term
counts (`memory.terms`, so any script) of a new screen and those of the episode's last `CONTEXT`
screens together. A screen that scrolls keeps most of its words, and a page turned in the same
document keeps its vocabulary ("curl", "URL", "transfer" on every page of the curl manual);
another document shares only common words and the window's chrome. `bench/episodes.py` measures
this on 80 manual pages installed on the machine, as 40-line terminal screens with a title bar and
a menu on each (cosine quartiles; share that `SIMILARITY` calls a new topic):

    same page, scrolled 10 lines     0.70 0.77 0.84     0.0%
    same page, scrolled 20 lines     0.46 0.56 0.68     0.2%
    same page, a whole page turned   0.31 0.43 0.55     4.7%
    another page                     0.07 0.11 0.14    92.1%

`SIMILARITY` is where whole-page turns and switches are misjudged equally often (0.21 with the
chrome, 0.19 without: about 7% each). Missing a switch costs one card that tells two things;
splitting a page turn, one document shown as two cards in a row: equal costs, so equal errors.
Smaller screens weigh their chrome more (8-line screens miss half the switches). The sentence
embeddings were measured as a second opinion (a split only when both see one): 2.6% of page turns
split instead of 3.4%, switches missed alike (7.1%), on 40 pages; the terms alone decide, since
batches are made where no embedder runs and a card must cover what its memory covers.

Screens with fewer than `MIN_TERMS` distinct terms are not judged (a status line or a chat
message shares no word with the next even on one topic), nor are two lines of one conversation
("Anna: ..." answered by "Ben: ..."): a conversation's turns answer one another in other words,
and the managers need them together to tell who said what.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from memory.dialogue import speaker_tag
from memory.models import Observation
from memory.terms import terms

__all__ = ["CONTEXT", "IDLE_GAP", "MIN_TERMS", "SIMILARITY", "Segment", "segment", "sentences", "similarity",
           "summary", "window_key"]

IDLE_GAP = timedelta(minutes=10)
CONTEXT = 3  # screens of the episode so far that a new screen is compared with
MIN_TERMS = 20  # distinct terms a screen needs before its topic is judged (about three lines of prose)
SIMILARITY = 0.2  # below this cosine a screen starts a new topic (see the module docstring)
TOPIC_CHARS = 4000  # of each screen's text: a screen's topic shows in its first lines
SUMMARY_CHARS = 160

_COUNTER = re.compile(r"\(\d+[^)]*\)|\b\d{1,2}:\d{2}(?::\d{2})?\b")


@dataclass(frozen=True)
class Segment:
    """One episode: observations in time order, and what started it: "start" (the first),
    "app", "window", "idle" or "topic"."""

    observations: tuple[Observation, ...]
    cause: str


def window_key(title: str) -> str:
    """A window title without the counters that tick while one keeps working in it ("(3) Inbox",
    "Inbox (12 unread)", a clock): the same window, read later, is the same stretch."""
    return " ".join(_COUNTER.sub("", title or "").split()).lower()


def segment(observations: Sequence[Observation], *, gap: timedelta = IDLE_GAP) -> list[Segment]:
    """`observations` (in time order) cut into episodes: on a change of app or window, a pause
    longer than `gap`, or a change of topic (see the module docstring). Every observation is in
    exactly one segment, in order."""
    segments: list[Segment] = []
    current: list[Observation] = []
    opened_by = "start"
    context: list[Counter[str]] = []  # term counts of the current episode's last screens
    for o in observations:
        counts = _counts(o.text)
        if current:
            last = current[-1]
            cause = ("app" if o.app != last.app
                     else "window" if window_key(o.title) != window_key(last.title)
                     else "idle" if o.time - last.time > gap
                     else "topic" if _turns_away(context, counts, last, o)
                     else "")
            if cause:
                segments.append(Segment(tuple(current), opened_by))
                current, context, opened_by = [], [], cause
        current.append(o)
        if counts:
            context = [*context[-(CONTEXT - 1):], counts]
    if current:
        segments.append(Segment(tuple(current), opened_by))
    return segments


def similarity(context: Sequence[str], text: str) -> float | None:
    """The cosine (0..1) between the content terms of `text` and those of the `context` screens
    together; None when either has fewer than `MIN_TERMS` distinct terms (too little to judge)."""
    return _cosine(_pooled([_counts(screen) for screen in context[-CONTEXT:]]), _counts(text))


def _counts(text: str) -> Counter[str]:
    return Counter(terms(text[:TOPIC_CHARS]))


def _pooled(screens: Sequence[Counter[str]]) -> Counter[str]:
    pooled: Counter[str] = Counter()
    for counts in screens:
        pooled.update(counts)
    return pooled


def _cosine(a: Counter[str], b: Counter[str]) -> float | None:
    if len(a) < MIN_TERMS or len(b) < MIN_TERMS:
        return None
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(n * large[t] for t, n in small.items() if t in large)
    return dot / math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))


def _turns_away(context: list[Counter[str]], counts: Counter[str], last: Observation, o: Observation) -> bool:
    """Whether `o` moves its window to another topic than the episode's last screens."""
    if not context or (speaker_tag(o.text) is not None and speaker_tag(last.text) is not None):
        return False
    value = _cosine(_pooled(context), counts)
    return value is not None and value < SIMILARITY


def summary(observations: Sequence[Observation], limit: int = SUMMARY_CHARS) -> str:
    """What an episode was about, in its own words, on one line of at most `limit` characters:
    its most central sentence (each distinct sentence scored by how often the episode's other
    sentences use its terms, per square root of its own terms: the centroid of MEAD, Radev et al.
    2004); when no term recurs (a list of unrelated mails), the one with the most terms, which
    is a sentence rather than a heading ("Inbox"); "" for an episode without text."""
    units = list(dict.fromkeys(u for o in observations for u in sentences(o.text)))
    if not units:
        return ""
    per_unit = [set(terms(u)) for u in units]
    used = Counter(t for ts in per_unit for t in ts)
    scores = [sum(used[t] - 1 for t in ts) / math.sqrt(len(ts)) if ts else 0.0 for ts in per_unit]
    best = max(range(len(units)), key=lambda i: (scores[i], len(per_unit[i]), -i))  # the first of equals
    text = units[best]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[^\W\d_])|(?<=[。！？])")
_ENDS = (".", "!", "?", ":", ";", "。", "！", "？")


def sentences(text: str) -> list[str]:
    """The sentences of a screen's text, each on one line. A line that does not end a sentence,
    followed by one that starts in lower case, is prose the window wrapped: the two are joined
    ("pro-" and "tocols" into one word); headings ("NAME") and list lines stay apart."""
    paragraphs: list[str] = []
    for line in (" ".join(ln.split()) for ln in text.splitlines()):
        last = paragraphs[-1] if paragraphs else ""
        if line and not last.endswith(_ENDS) and line[0].islower() and any(c.islower() for c in last):
            paragraphs[-1] = last[:-1] + line if last.endswith(("-", "\u2010")) else f"{last} {line}"
        else:
            paragraphs.append(line)  # a blank line too: it ends the paragraph
    return [u.strip() for p in paragraphs for u in _SENTENCE_END.split(p) if u.strip()]

"""Lines of conversation in the raw log (chat windows, imported chats): who speaks ("Anna: ..."),
and the question a reply answers.

A reply alone often says nothing of what it is about ("Researching adoption agencies" answers
"Any plans for the summer?"), so each stored line keeps, as its `context`, the end of the
question just before it when another speaker in the same conversation asked one. Search reads
the context with the line (full text and vectors). Measured on LoCoMo (dev split): recall@10
73.1 -> 78.4 (every neighbour line as context instead: no gain).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

QUESTION_CHARS = 160  # how much of a question its reply keeps
_TAG = re.compile(r"([A-Z][\w'.-]{0,20}(?: [A-Z][\w'.-]{0,20})?): ")
# Leading "Word: " tags that are headers or labels, not people.
_NOT_SPEAKERS = frozenset(
    "from to cc bcc subject date sent re fwd fw note notes error warning info debug title name time "
    "status url path file todo done question answer q a summary description total result output "
    "input step tip example source address phone email tel mobile fax password user username".split())


class Line(Protocol):
    text: str
    app: str
    title: str


def speaker_tag(text: str) -> str | None:
    """The person a line is attributed to ("Alice: hi" -> "Alice"), if it starts with a speaker tag."""
    match = _TAG.match(text)
    if match is None or match.group(1).lower() in _NOT_SPEAKERS:
        return None
    return match.group(1)


def voices(texts: Sequence[str]) -> set[str]:
    """The speaker tags of `texts` that are people in a conversation: tags of a dialogue (two or
    more different ones) or one that starts two or more lines. A tag seen once alone ("Update:
    Alice is now the director") is a label of the text, not someone speaking."""
    tags = [t for t in (speaker_tag(x) for x in texts) if t is not None]
    return set(tags) if len(set(tags)) >= 2 or len(tags) >= 2 else set()


def same_conversation(a: Line, b: Line) -> bool:
    """Whether `a` and `b` are lines of one conversation: tagged lines of the same app and window."""
    return (a.app, a.title) == (b.app, b.title) and speaker_tag(a.text) is not None \
        and speaker_tag(b.text) is not None


def question_answered(before: Line | None, line: Line) -> str:
    """The end of `before` if it is a question that `line` answers: both are tagged lines of the
    same conversation (app and title), by different speakers; else ""."""
    if before is None or (before.app, before.title) != (line.app, line.title):
        return ""
    speaker, other = speaker_tag(line.text), speaker_tag(before.text)
    if speaker is None or other is None or other == speaker:
        return ""
    said = before.text[len(other) + 2:].rstrip()
    return said[-QUESTION_CHARS:] if "?" in said[-80:] else ""

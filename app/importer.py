"""Observations from JSON-lines files (chat logs, notes, other tools' exports)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from app.errors import AppError
from memory import NewObservation

_FIELDS = {"time", "app", "title", "url", "text", "source_id"}


class ImportFileError(AppError):
    """A line of an import file is not acceptable; nothing of the file is stored."""


def parse_jsonl(path: Path) -> list[NewObservation]:
    """Every observation in the file, or ImportFileError naming the first bad line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    out: list[NewObservation] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        out.append(_parse_line(path, number, line))
    return out


def _parse_line(path: Path, number: int, line: bytes) -> NewObservation:
    def bad(why: str) -> ImportFileError:
        return ImportFileError(f"{path.name}, line {number}: {why}; nothing was imported")

    try:
        doc = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise bad("expected a JSON object")
    unknown = set(doc) - _FIELDS
    if unknown:
        raise bad(f"unknown field(s) {', '.join(sorted(unknown))}")
    if "time" not in doc or "text" not in doc:
        raise bad("'time' and 'text' are required")
    for name in _FIELDS - {"source_id"}:
        if name in doc and not isinstance(doc[name], str):
            raise bad(f"'{name}' must be a string")
    source_id = doc.get("source_id")
    if source_id is not None and not isinstance(source_id, (str, int)):
        raise bad("'source_id' must be a string or a number")
    try:
        time = datetime.fromisoformat(doc["time"])
    except ValueError:
        raise bad(f"'time' is not ISO-8601: {doc['time'][:40]!r}") from None
    if source_id is None:  # the content itself identifies the line, so re-imports add nothing
        canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8", "replace")
        source_id = "sha256:" + hashlib.sha256(canonical).hexdigest()[:32]
    return NewObservation(
        time=time,
        text=doc["text"],
        app=doc.get("app", ""),
        title=doc.get("title", ""),
        url=doc.get("url", ""),
        source_kind="import",
        source_id=str(source_id),
    )

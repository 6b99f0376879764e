"""Observations from JSON-lines files (chat logs, notes, other tools' exports).

What comes in by import is screen text too: it passes the same privacy gate as capture (secrets
become `[REDACTED:kind]`) and the same time check as every other way in."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from pathlib import Path

from app.errors import AppError
from capture.privacy import redact
from memory import NewObservation, ValidationError, checked_time

_FIELDS = {"time", "app", "title", "url", "text", "source_id"}
MAX_SOURCE_ID = 200  # characters of a source id (its own id in the tool it came from)


class ImportFileError(AppError):
    """A line of an import file is not acceptable; nothing of the file is stored."""


def screened(item: NewObservation) -> NewObservation:
    """`item` through the privacy gate capture uses: secrets in its text, title and url redacted."""
    return dataclasses.replace(item, text=redact(item.text)[0], title=redact(item.title)[0],
                               url=redact(item.url)[0])


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
    except ValueError:  # an integer of more digits than Python converts
        raise bad("not valid JSON (a number is too long)") from None
    except RecursionError:
        raise bad("not valid JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise bad("expected a JSON object")
    unknown = set(doc) - _FIELDS
    if unknown:
        raise bad(f"unknown field(s) {', '.join(sorted(_shown(u) for u in unknown))}")
    if "time" not in doc or "text" not in doc:
        raise bad("'time' and 'text' are required")
    for name in _FIELDS - {"source_id"}:
        if name in doc and not isinstance(doc[name], str):
            raise bad(f"'{name}' must be a string")
    source_id = doc.get("source_id")
    if source_id is not None and (isinstance(source_id, bool) or not isinstance(source_id, (str, int))):
        raise bad("'source_id' must be a string or a number")
    if isinstance(source_id, int):
        source_id = str(source_id)  # within Python's digit limit: json.loads refused longer
    if source_id is not None and len(source_id) > MAX_SOURCE_ID:
        raise bad(f"'source_id' is longer than {MAX_SOURCE_ID} characters")
    try:
        time = checked_time(datetime.fromisoformat(doc["time"]))
    except ValueError as exc:
        if "out of range" in str(exc):  # year 0, month 13, ...
            raise bad(f"the time {_shown(doc['time'])!r} is out of range") from None
        raise bad(f"'time' is not ISO-8601: {_shown(doc['time'])!r}") from None
    except ValidationError as exc:
        raise bad(str(exc)) from None
    item = screened(NewObservation(time=time, text=doc["text"], app=doc.get("app", ""),
                                   title=doc.get("title", ""), url=doc.get("url", ""),
                                   source_kind="import", source_id=source_id))
    if source_id is None:  # the content itself identifies the line, so re-imports add nothing
        # (hashed after the privacy gate: no digest of a secret is kept either)
        canonical = json.dumps({**doc, "text": item.text, "title": item.title, "url": item.url},
                               sort_keys=True, ensure_ascii=False).encode("utf-8", "replace")
        item = dataclasses.replace(item, source_id="sha256:" + hashlib.sha256(canonical).hexdigest()[:32])
    return item


def _shown(value: str) -> str:
    """A value from the file as a message shows it: short, lone surrogates escaped."""
    return value[:40].encode("utf-8", "backslashreplace").decode("utf-8")

"""Fuzzing the ways text comes in (import lines, command-line dates, the key file): every input is
accepted or refused with the package's own error, never a traceback. A fixed number of examples,
the same every run."""

import base64
import json
import secrets
import string

import click
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from app.cli._common import argument_text, parse_time  # noqa: E402
from app.importer import ImportFileError, parse_jsonl  # noqa: E402
from memory import KdfParams, StoreError, create_key_file, unlock_key_file  # noqa: E402
from memory.models import EARLIEST, LATEST  # noqa: E402
from memory.store import from_ts, ts  # noqa: E402

FUZZ = settings(max_examples=300, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Times as people and other tools write them, and as they should not.
TIMES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["0000-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-13-01",
                     "2026-02-30", "2026-11-01T25:00", "2026-11-01T10:00:00+24:00", "", " ", "yesterday",
                     "2026-11-01T10:00:00Z", "1899-12-31T23:59:59+00:00", "2200-01-01T00:00:00+00:00"]),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["time", "text", "app", "title", "url", "source_id"]
LINES = st.one_of(
    st.fixed_dictionaries({"time": TIMES, "text": st.text(max_size=60)},
                          optional={f: JSON_VALUES | st.text(max_size=20) for f in FIELDS[2:]})
    .map(lambda d: json.dumps(d).encode()),
    st.dictionaries(st.sampled_from([*FIELDS, "extra"]), JSON_VALUES, max_size=6).map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=80),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=4000, max_value=6000).map(
        lambda n: b'{"time": "2026-01-01T00:00:00", "text": "x", "source_id": ' + b"7" * n + b"}"),
)


@FUZZ
@given(lines=st.lists(LINES, min_size=1, max_size=4))
def test_import_lines_are_accepted_or_refused_by_line(tmp_path, lines):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n")
    try:
        items = parse_jsonl(path)
    except ImportFileError as exc:
        assert str(exc).startswith("fuzz.jsonl, line ") and str(exc).endswith("; nothing was imported")
        return
    for item in items:
        assert EARLIEST <= item.time <= LATEST
        assert from_ts(ts(item.time)) == item.time  # stored and read back, in any time zone
        item.time.astimezone()


@FUZZ
@given(text=st.one_of(TIMES, st.text(alphabet=string.printable + "\udce9\udcff\ud800", max_size=30)))
def test_command_line_dates_are_parsed_or_refused(text):
    try:
        parsed = parse_time(text)
    except click.BadParameter:
        return
    assert parsed.tzinfo is not None and EARLIEST <= parsed <= LATEST
    parsed.astimezone().strftime("%Y-%m-%d %H:%M")
    argument_text(text).encode("utf-8")


KDF_VALUES = st.one_of(
    st.sampled_from([0, -1, 1, 2, 3, 4, 8, 1024, 8 * 1024, 2**31, 2**63, 10**9, 10**30, 3.5, "4", None, [], {}]),
    st.integers(min_value=-(2**70), max_value=2**70),
)


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("key") / "engram.key"
    create_key_file(path, "pw", KdfParams(iterations=1, lanes=1, memory_cost=8 * 1024))
    return json.loads(path.read_text())


CHEAP = {"iterations": 4, "lanes": 4, "memory_cost": 64 * 1024}  # within these a derivation is quick


@FUZZ
@given(field=st.sampled_from(["iterations", "lanes", "memory_cost", "salt", "name", "nonce", "wrapped_key",
                              "format", "version", "kdf"]),
       value=st.one_of(KDF_VALUES, st.text(max_size=20), st.binary(max_size=70).map(
           lambda b: base64.b64encode(b).decode())))
def test_a_tampered_key_file_opens_or_is_refused_never_a_hang(tmp_path, key_file, field, value):
    if field in CHEAP and type(value) is int and CHEAP[field] < value <= 2**40:
        value = 10**9  # a costly value the bounds allow would only be slow: fuzz the refused ones
    doc = json.loads(json.dumps(key_file))
    if field in ("iterations", "lanes", "memory_cost", "salt", "name"):
        doc["kdf"][field] = value
    else:
        doc[field] = value
    path = tmp_path / f"{secrets.token_hex(4)}.key"
    path.write_text(json.dumps(doc))
    try:
        key = unlock_key_file(path, "pw")
    except StoreError as exc:
        assert str(exc) in ("wrong passphrase", f"key file {path} is damaged (not an Engram key file)")
    else:
        assert len(key) == 32


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode)
       | st.just(b"[" * 100_000 + b"]" * 100_000))
def test_any_bytes_as_a_key_file_are_refused(tmp_path, raw):
    path = tmp_path / "engram.key"
    path.write_bytes(raw)
    with pytest.raises(StoreError):
        unlock_key_file(path, "pw")

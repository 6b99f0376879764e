import json
import os
import stat

import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture
def home(tmp_path):
    return tmp_path / "engram-data"


def run(home, *args, passphrase="pass phrase 1", **env):
    environment = {"ENGRAM_HOME": str(home), "ENGRAM_PASSPHRASE": passphrase, **env}
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)


def snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def initialized(home):
    assert run(home, "init").exit_code == 0
    return home


def write_jsonl(path, *lines):
    path.write_text("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n")
    return path


def test_init_creates_a_private_directory(home):
    result = run(home, "init")
    assert result.exit_code == 0, result.output
    assert "encrypted Engram store" in result.output
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert (home / "engram.key").exists() and (home / "engram.db").exists()


def test_data_dir_option_overrides_the_environment(tmp_path):
    other = tmp_path / "other"
    result = CliRunner().invoke(main, ["--data-dir", str(other), "init"],
                                env={"ENGRAM_PASSPHRASE": "p", "ENGRAM_HOME": str(tmp_path / "x")})
    assert result.exit_code == 0 and (other / "engram.key").exists()
    assert not (tmp_path / "x").exists()


def test_init_twice_changes_nothing(initialized):
    before = snapshot(initialized)
    result = run(initialized, "init", passphrase="another")
    assert result.exit_code != 0 and "already holds Engram data" in result.output
    assert snapshot(initialized) == before


def test_init_without_a_passphrase_source_fails_clearly(home):
    result = CliRunner().invoke(main, ["init"], env={"ENGRAM_HOME": str(home)}, input="")
    assert result.exit_code != 0 and "ENGRAM_PASSPHRASE" in result.output


def test_status_reports_counts_as_json(initialized, tmp_path):
    run(initialized, "import", str(write_jsonl(tmp_path / "a.jsonl",
        {"time": "2024-05-01T10:00:00", "app": "Notes", "text": "hello"})))
    doc = json.loads(run(initialized, "status", "--json").output)
    assert doc["unlocked"] is True and doc["observations"] == 1
    assert doc["memories"] == {k: 0 for k in
                               ["core", "episodic", "semantic", "procedural", "resource", "vault"]}
    assert doc["data_dir"] == str(initialized)
    assert doc["extra"]["memory"] == "1 observation waiting (1 batch); 0 batches done"


def test_status_of_an_empty_place_says_so(home):
    result = run(home, "status")
    assert result.exit_code == 0 and "not set up" in result.output


def test_a_wrong_passphrase_is_one_line_nonzero_and_touches_nothing(initialized):
    before = snapshot(initialized)
    result = run(initialized, "observations", passphrase="wrong")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: wrong passphrase"
    assert snapshot(initialized) == before


def test_import_then_list_observations(initialized, tmp_path):
    f = write_jsonl(tmp_path / "chat.jsonl",
                    {"time": "2024-05-01T10:00:00+00:00", "app": "Chat", "title": "Ann",
                     "url": "", "text": "see you at the station", "source_id": "m1"},
                    {"time": "2024-05-02T09:00:00+00:00", "app": "Notes", "text": "buy milk"})
    result = run(initialized, "import", str(f))
    assert "imported 2 observations" in result.output
    assert "already present" in run(initialized, "import", str(f)).output
    rows = json.loads(run(initialized, "observations", "--json").output)
    assert [r["text"] for r in rows] == ["see you at the station", "buy milk"]
    assert rows[0]["app"] == "Chat" and rows[0]["source_id"] == "m1"
    rows = json.loads(run(initialized, "observations", "--since", "2024-05-02", "--json").output)
    assert [r["text"] for r in rows] == ["buy milk"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('{"time": "yesterday", "text": "x"}', "line 2: 'time' is not ISO-8601"),
        ('{"time": "2024-01-01T00:00:00", "text": 5}', "line 2: 'text' must be a string"),
        ('{"text": "x"}', "line 2: 'time' and 'text' are required"),
        ('{"time": "2024-01-01T00:00:00", "text": "x", "titel": "typo"}', "unknown field(s) titel"),
        ("[1, 2]", "line 2: expected a JSON object"),
    ],
)
def test_a_bad_line_is_reported_by_number_and_nothing_is_stored(initialized, tmp_path, bad, message):
    f = write_jsonl(tmp_path / "x.jsonl", {"time": "2024-01-01T00:00:00", "text": "good"}, bad)
    result = run(initialized, "import", str(f))
    assert result.exit_code != 0 and message in result.output
    assert json.loads(run(initialized, "status", "--json").output)["observations"] == 0


def test_invalid_utf8_in_an_import_is_reported(initialized, tmp_path):
    f = tmp_path / "bin.jsonl"
    f.write_bytes(b'{"time": "2024-01-01T00:00:00", "text": "caf\xe9"}\n')
    result = run(initialized, "import", str(f))
    assert result.exit_code != 0 and "line 1: not valid UTF-8" in result.output


def test_memories_lists_as_json(initialized):
    assert json.loads(run(initialized, "memories", "--json").output) == []
    assert json.loads(run(initialized, "memories", "--type", "vault", "--json").output) == []


def test_forget_an_app_reports_what_it_removed(initialized, tmp_path):
    run(initialized, "import", str(write_jsonl(tmp_path / "a.jsonl",
        {"time": "2024-05-01T10:00:00", "app": "Bank", "text": "balance 1200"},
        {"time": "2024-05-01T10:05:00", "app": "Notes", "text": "todo"})))
    result = run(initialized, "forget", "--app", "Bank", "--json")
    assert json.loads(result.output)["observations"] == 1
    rows = json.loads(run(initialized, "observations", "--json").output)
    assert [r["app"] for r in rows] == ["Notes"]


def test_forget_needs_a_target(initialized):
    result = run(initialized, "forget", "--yes")
    assert result.exit_code != 0 and "say what to forget" in result.output


def test_passwd_rewraps_the_key(initialized):
    result = run(initialized, "passwd", ENGRAM_NEW_PASSPHRASE="new pass phrase")
    assert result.exit_code == 0, result.output
    assert run(initialized, "status", "--json", passphrase="new pass phrase").exit_code == 0
    assert run(initialized, "observations", passphrase="pass phrase 1").exit_code == 1


def test_a_missing_key_file_is_named(initialized):
    (initialized / "engram.key").unlink()
    result = run(initialized, "observations")
    assert result.exit_code == 1 and "engram.key is missing" in result.output
    assert (initialized / "engram.db").exists()


def test_a_damaged_database_is_named_and_kept(initialized):
    db = initialized / "engram.db"
    db.write_bytes(b"\x00" * 8192)
    result = run(initialized, "observations")
    assert result.exit_code == 1 and "engram.db cannot be opened" in result.output
    assert db.read_bytes() == b"\x00" * 8192

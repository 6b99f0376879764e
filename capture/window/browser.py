"""What a browser window's title tells, for every OS module: whether it is a private window, and
the page's address when the title shows one.

Browsers do not publish their address to the window system (X11 has no property for it; Windows
and macOS need UI Automation or AppleScript per browser), so the URL is only known when the title
itself holds it: a page without a title, or an add-on that puts the address in the title. The
private-window markers are the title suffixes the browsers add themselves."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from capture.titles import app_names, normalise_title

# Window classes (X11), process names (Windows) and app names (macOS) of browsers, lower case.
BROWSERS = frozenset({
    "firefox", "firefox-esr", "firefox developer edition", "firefox nightly", "navigator", "librewolf",
    "waterfox", "floorp", "zen", "tor browser", "google-chrome", "google chrome", "chrome", "chromium",
    "chromium-browser", "brave-browser", "brave browser", "brave", "microsoft-edge", "microsoft edge",
    "msedge", "vivaldi", "vivaldi-stable", "opera", "yandex-browser", "epiphany", "org.gnome.epiphany",
    "falkon", "qutebrowser", "safari", "arc", "orion",
})

# Added by the browser to a private window's title: Firefox ("… — Mozilla Firefox Private Browsing",
# and its translations), Chrome and Chromium ("… - Google Chrome (Incognito)"), Edge ("[InPrivate]"),
# Brave and Vivaldi ("(Private)"), Opera ("Private"), Safari ("Private Browsing").
_PRIVATE = re.compile(
    r"private browsing|\bincognito\b|\binprivate\b|\(private\)|\(private window\)|"
    r"navegaci[oó]n privada|navigation priv[ée]e|privater modus|navigazione anonima|"
    r"navega[cç][aã]o privada|priv[ée] browsen|prywatne przegl[aą]danie|приватный просмотр|"
    r"\(inkognito\)|\(incógnito\)|\(anonymní\)|\(gizli\)",
    re.IGNORECASE)
_URL = re.compile(r"\b(https?://[^\s<>\"'|]+)", re.IGNORECASE)


def is_browser(app: str) -> bool:
    return not BROWSERS.isdisjoint(app_names(app))


def private_title(app: str, title: str) -> bool:
    """Whether `title` is that of a browser's private (incognito) window (in any dash, space
    or case: the title is normalised first)."""
    return is_browser(app) and bool(_PRIVATE.search(normalise_title(title)))


def url_in_title(app: str, title: str) -> str:
    """The address a browser window's title shows, without its query, fragment or user name
    (where tokens and session ids travel); "" when there is none."""
    if not is_browser(app):
        return ""
    found = _URL.search(normalise_title(title, fold=False))
    if not found:
        return ""
    try:
        parts = urlsplit(found.group(1).rstrip(".,;:)]"))
        host, port = parts.hostname or "", parts.port
    except ValueError:  # a bad port or bracket: not an address after all
        return ""
    if not host:
        return ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, "", ""))


__all__ = ["BROWSERS", "is_browser", "private_title", "url_in_title"]

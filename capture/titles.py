"""One form of a window title (or app name) for every rule that reads titles: excluded title
patterns, private-window markers, addresses.

Browsers and window managers write the same words in many ways: "—" (em dash) or "–" or "-",
a no-break or thin space, bidi marks around the page title in right-to-left locales, full-width
letters, and any case. A rule written once ("private browsing") must match them all."""

from __future__ import annotations

import re
import unicodedata

# Every dash and minus of Unicode (category Pd, plus the minus signs) reads as "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2E3A\u2E3B\uFE58\uFE63\uFF0D\u058A\u05BE\u1400\u1806"
                     r"\u2E17\u2E1A\u2E40\u301C\u3030\u30A0\uFE31\uFE32]")
# Marks that draw nothing: zero-width spaces and joiners, bidi controls, the BOM, soft hyphen.
_INVISIBLE = re.compile(r"[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]")


def normalise_title(title: str, *, fold: bool = True) -> str:
    """`title` in NFKC, with Unicode dashes as "-", invisible marks removed, every run of
    whitespace (no-break, thin, ideographic) as one space, trimmed; case-folded unless `fold`
    is False (an address keeps its case)."""
    text = unicodedata.normalize("NFKC", title or "")
    text = _INVISIBLE.sub("", text)
    text = _DASHES.sub("-", text)
    text = " ".join(text.split())
    return text.casefold() if fold else text


def app_names(app: str) -> frozenset[str]:
    """The forms of an app name that rules compare, normalised and case-folded, with and without
    the packaging around it: "org.mozilla.firefox" (Flatpak) and "firefox_firefox" (Snap) are
    also "firefox"."""
    name = normalise_title(app)
    names = {name}
    if "." in name and " " not in name and not name.endswith(".exe"):
        names.add(name.rsplit(".", 1)[-1])  # a reverse-DNS application id
    head, _, tail = name.partition("_")
    if tail and head == tail:
        names.add(head)
    if name.endswith(".exe"):
        names.add(name[:-4])
    return frozenset(n for n in names if n)


__all__ = ["app_names", "normalise_title"]

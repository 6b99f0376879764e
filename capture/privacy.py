"""The privacy gate: which windows are never captured, and which text never stored.

Runs before anything is OCR'd (excluded windows are skipped or blacked out) and before anything
is stored (secrets in OCR text become `[REDACTED:kind]`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from capture.fields import paired_values, redact_inline
from capture.models import DEFAULT_EXCLUDED_APPS, DEFAULT_EXCLUDED_TITLES, Region, TextLine, WindowInfo
from capture.titles import app_names, normalise_title
from capture.window.browser import private_title

LOCK_SCREEN_APPS = frozenset({
    "xscreensaver", "i3lock", "swaylock", "light-locker", "gnome-screensaver", "xsecurelock",
    "slock", "xlock", "xtrlock", "lightdm-gtk-greeter", "unity-greeter", "kscreenlocker_greet",
    "cinnamon-screensaver", "mate-screensaver", "xfce4-screensaver", "lockapp", "logonui",
    "loginwindow", "screensaverengine",
})


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


@dataclass(frozen=True)
class Exclusion:
    """Why a window is not captured. `kind`: "locked" (the lock screen), "private" (a private
    browsing window), "own" (a window of Engram itself), "app" or "title" (the user's exclusions)."""

    kind: str
    reason: str


@dataclass(frozen=True)
class PrivacyGate:
    """Decides whether a window may be captured. App names match case-insensitively (whole
    name); title patterns are case-insensitive regexes (an invalid one matches literally).
    Windows of the processes in `own_pids` (Engram's own: the daemon, the desktop app) are never
    captured: a revealed vault value or an answer on screen must not be read back into the log."""

    excluded_apps: tuple[str, ...] = DEFAULT_EXCLUDED_APPS
    excluded_titles: tuple[str, ...] = DEFAULT_EXCLUDED_TITLES
    own_pids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_apps", frozenset(normalise_title(a) for a in self.excluded_apps))
        patterns = []
        for p in self.excluded_titles:
            # Patterns read the normalised title: their own dashes and spaces are normalised too.
            p = normalise_title(p, fold=False) if p.strip() else p
            try:
                patterns.append(re.compile(p, re.IGNORECASE))
            except re.error:
                patterns.append(re.compile(re.escape(p), re.IGNORECASE))
        object.__setattr__(self, "_titles", tuple(patterns))

    def exclusion(self, window: WindowInfo) -> Exclusion | None:
        """Why `window` must not be captured, or None if it may be."""
        apps = app_names(window.app)
        if window.locked or not apps.isdisjoint(LOCK_SCREEN_APPS):
            return Exclusion("locked", "the screen is locked")
        title = normalise_title(window.title)
        if window.private or private_title(window.app, window.title):
            return Exclusion("private", "a private browsing window is active")
        if window.pid is not None and window.pid in self.own_pids:
            return Exclusion("own", "Engram's own window is in front (never captured)")
        if not apps.isdisjoint(self._apps):  # type: ignore[attr-defined]
            return Exclusion("app", f"{window.app} is an excluded app")
        for pattern in self._titles:  # type: ignore[attr-defined]
            if pattern.search(title):
                return Exclusion("title", "the window title matches an excluded pattern")
        return None

    def excluded(self, window: WindowInfo) -> str | None:
        """Why `window` must not be captured (in words), or None if it may be."""
        found = self.exclusion(window)
        return found.reason if found else None


# -- secrets in text ------------------------------------------------------------------------------
_API_KEYS = [
    r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",  # AWS access key id
    r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b",  # GitHub tokens
    r"\bgithub_pat_[A-Za-z0-9_]{50,255}\b",
    r"\bglpat-[A-Za-z0-9_-]{20,}\b",  # GitLab
    r"\bsk-ant-[A-Za-z0-9_-]{20,}",  # Anthropic
    # OpenAI style: at least one digit, so "sk-learn-pipeline-tutorial" stays
    r"\bsk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{20,}",
    r"\bxox[abposre]-[A-Za-z0-9-]{10,}",  # Slack tokens
    r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}",
    r"\bAIza[0-9A-Za-z_-]{35}\b",  # Google API key
    r"\bGOCSPX-[A-Za-z0-9_-]{20,}",  # Google OAuth client secret
    r"\bya29\.[0-9A-Za-z_-]{20,}",  # Google OAuth access token
    r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}\b",  # Stripe secret / restricted
    r"\bwhsec_[0-9A-Za-z]{24,}\b",  # Stripe webhook secret
    r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",  # SendGrid
    r"\bnpm_[A-Za-z0-9]{36}\b",  # npm
    r"\bpypi-AgE[A-Za-z0-9_-]{50,}",  # PyPI
    r"\bhf_[A-Za-z0-9]{30,}\b",  # Hugging Face
    r"\bSK[0-9a-f]{32}\b",  # Twilio API key
    r"\bdop_v1_[a-f0-9]{64}\b",  # DigitalOcean
    r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b",  # Shopify
]
_API_KEY = re.compile("|".join(f"(?:{p})" for p in _API_KEYS))
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?:\s*[A-Za-z0-9+/=:,\- ]{8,})*)",
    re.DOTALL,
)
# `secret = value`, `api_key: value`, `aws_secret_access_key=...`
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b((?:[a-z0-9]+[_-])*(?:api[_-]?key|secret(?:[_-]?access)?(?:[_-]?key)?|access[_-]?token|"
    r"auth[_-]?token|refresh[_-]?token|bearer|client[_-]?secret|private[_-]?key))"
    r"(\"?[ \t]*[:=][ \t]*[\"']?|[ \t]+)([A-Za-z0-9_\-./+=]{12,})")
_PASSWORD = re.compile(
    r"(?i)\b(password|passwort|passwd|pwd|passcode|passphrase|kennwort|mot de passe|contrase[ñn]a|"
    r"senha|pin)([ \t]*(?:is[ \t]*)?[:=][ \t]*|[ \t]+is[ \t]+)(\S+)")
_URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(\d{2})(?= ?[A-Z0-9])")
# A US social security number as written (3-2-4 digits with dashes), never issued with area
# 000, 666 or 900-999, group 00 or serial 0000.
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_OTP_BEFORE = re.compile(
    r"(?i)\b((?:\w+\s+)?(?:code|otp|one[- ]time (?:pass(?:word|code)?|code)|verification|2fa|"
    r"security code|passcode|authentication code|tan))\b([^\d\n]{0,24}?)(\d{3}[ -]?\d{3}|\d{4,8})\b")
_OTP_AFTER = re.compile(
    r"(?i)\b(\d{3}[ -]?\d{3}|\d{4,8})(\s+is your\b[^\n]{0,30}?\b(?:code|otp|password|pin))")
_NOT_OTP = frozenset({"zip", "postal", "post", "area", "country", "error", "exit", "status",
                      "source", "return", "http", "response", "product", "promo", "discount",
                      "zip-code", "iso", "tax", "sort", "bank", "swift", "qr", "bar"})

_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_prefix_ok(d: str) -> bool:
    """Issuer prefixes of real card networks (Visa, Mastercard, Amex, Discover, JCB, Diners,
    UnionPay, Maestro): an order number that happens to pass Luhn rarely starts like these."""
    n = len(d)
    two, four = int(d[:2]), int(d[:4])
    if d[0] == "4":
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16
    if two in (34, 37):
        return n == 15
    if d.startswith("6011") or two == 65 or 644 <= int(d[:3]) <= 649 or two == 62:
        return 16 <= n <= 19
    if 3528 <= four <= 3589:
        return 16 <= n <= 19
    if 300 <= int(d[:3]) <= 305 or two in (36, 38):
        return 14 <= n <= 19
    if two in (50, 56, 57, 58, 63, 67):
        return 12 <= n <= 19
    return False


def iban_ok(text: str) -> bool:
    s = text.replace(" ", "").upper()
    if _IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _sub(pattern: re.Pattern, text: str, repl: Callable[[re.Match], str | None],
         counts: Counter, kind: str) -> str:
    def one(m: re.Match) -> str:
        out = repl(m)
        if out is None:
            return m.group(0)
        counts[kind] += 1
        return out
    return pattern.sub(one, text)


def redact(text: str) -> tuple[str, dict[str, int]]:
    """`text` with secrets replaced by `[REDACTED:kind]` markers, and how many of each kind.

    Kinds: private-key, api-key, token, password, pin, card, card-code, iban, national-id,
    passport, otp."""
    counts: Counter = Counter()
    text = _sub(_PEM, text, lambda m: marker("private-key"), counts, "private-key")
    text = _sub(_API_KEY, text, lambda m: marker("api-key"), counts, "api-key")
    text = _sub(_JWT, text, lambda m: marker("token"), counts, "token")
    text = _sub(_URL_CREDENTIALS, text, lambda m: m.group(1) + marker("password") + m.group(3),
                counts, "password")
    text = _sub(_ASSIGNED_SECRET, text, _assigned, counts, "api-key")
    text = _sub(_PASSWORD, text, _password, counts, "password")
    text, kinds = redact_inline(text, marker)
    counts.update(kinds)
    text = _sub(_CARD, text, _card, counts, "card")
    text = _ibans(text, counts)
    text = _sub(_SSN, text, lambda m: marker("national-id"), counts, "national-id")
    text = _sub(_OTP_BEFORE, text, _otp_before, counts, "otp")
    text = _sub(_OTP_AFTER, text, lambda m: marker("otp") + m.group(2), counts, "otp")
    return text, dict(counts)


def _ibans(text: str, counts: Counter) -> str:
    """Every IBAN, with or without a label, grouped by spaces or not: each candidate is read
    for exactly its country's length and kept unless the mod-97 check passes (a greedy match
    would swallow the word after it, "... 0130 00 EUR", and fail the check)."""
    out, at = [], 0
    for m in _IBAN_START.finditer(text):
        if m.start() < at:
            continue
        length = _IBAN_LENGTHS.get(m.group(1))
        if length is None:
            continue
        i, chars = m.end(), m.group(1) + m.group(2)
        while i < len(text) and len(chars) < length:
            c = text[i]
            if c == " " and i + 1 < len(text) and text[i + 1] != " " and text[i - 1] != " ":
                i += 1
                continue
            if not (c.isascii() and c.isalnum()):
                break
            chars += c.upper()
            i += 1
        if len(chars) != length or (i < len(text) and text[i].isascii() and text[i].isalnum()):
            continue
        if iban_ok(chars):
            out.append(text[at:m.start()] + marker("iban"))
            counts["iban"] += 1
            at = i
    out.append(text[at:])
    return "".join(out)


def _assigned(m: re.Match) -> str | None:
    value = m.group(3)
    if value.startswith("[REDACTED"):
        return None
    # A real secret mixes letters and digits; `secret: documentation` is prose.
    if not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value)):
        return None
    return m.group(1) + m.group(2) + marker("api-key")


def _password(m: re.Match) -> str | None:
    value = m.group(3)
    if value.startswith("[REDACTED") or set(value) <= {"*", "•", "●", "·", "."}:
        return None  # already masked on screen
    if "is" in m.group(2) and value.isalpha():
        return None  # "the password is required": prose, not a password
    return m.group(1) + m.group(2) + marker("password")


def _card(m: re.Match) -> str | None:
    digits = re.sub(r"[ -]", "", m.group(0))
    if not 13 <= len(digits) <= 19 or not _card_prefix_ok(digits) or not luhn_ok(digits):
        return None
    return marker("card")


def _otp_before(m: re.Match) -> str | None:
    words = m.group(1).lower().split()
    if len(words) > 1 and words[0] in _NOT_OTP:
        return None
    return m.group(1) + m.group(2) + marker("otp")


def redact_lines(lines: Sequence[TextLine]) -> list[str]:
    """The text of each line with its secrets redacted: what the line itself says, and the
    value of a form field whose label is another line (beside it or above it)."""
    out = [redact(ln.text)[0] for ln in lines]
    for found in paired_values(lines):
        out[found.index] = marker(found.kind)
    return out


def secret_boxes(lines: Sequence[TextLine]) -> list[Region]:
    """The boxes of every line that holds (part of) a secret, by its own text, by a PEM block
    around it, or as the value of a form field labelled by another line: what to black out."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].box.y // 12, lines[i].box.x))
    hidden = {order[k] for k in secret_lines([lines[i].text for i in order])}
    hidden.update(found.index for found in paired_values(lines))
    return [lines[i].box for i in sorted(hidden)]


def secret_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines that hold (part of) a secret: each line alone, and every line of a
    PEM private key block from its BEGIN line to its END line."""
    out = {i for i, line in enumerate(lines) if redact(line)[1]}
    inside = False
    for i, line in enumerate(lines):
        if "PRIVATE KEY" in line and "BEGIN" in line:
            inside = True
        if inside:
            out.add(i)
        if "PRIVATE KEY" in line and "END" in line:
            inside = False
    return out

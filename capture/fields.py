"""Secrets in forms: a field's label and its value, found by what the label says and where the
value sits.

OCR reads a form's label column and value column as separate lines ("Password" and, to its
right or below it, "Tr0ub4dor&3"), so a secret is not always one line of text. A label is a
line that is nothing but a known field name ("Wi-Fi password", "CVV", "SSN", "Passport No.");
its value is the nearest line on the same row to its right, or else the nearest line just
below it, when that line has the value's shape (three or four digits for a card code, say).
The same table serves labels and values that OCR read as one line without a colon
("CVV 737", "wifi password  CorrectHorse9")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from capture.models import Region, TextLine


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip()


_MASKED = re.compile(r"^[*•●·.∙◦○⬤x]{3,}$", re.IGNORECASE)  # a masked field shows only dots
# What sits beside a password label in a form that is not the password itself.
_UI_WORDS = frozenset({
    "show", "hide", "reveal", "copy", "change", "edit", "reset", "forgot", "forgot?", "required",
    "optional", "generate", "update", "save", "cancel", "enter", "confirm", "strength", "weak",
    "strong", "medium", "good", "fair", "set", "not set", "none", "hidden", "manage", "view",
})


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _password_value(value: str, separated: bool) -> bool:
    """A password as a form shows it: one token, not masked, not a button or a hint. Without
    a separator after the label ("password Tr0ub4dor&3"), it must not read as a word of prose:
    a digit, a symbol, or a capital inside it."""
    v = value.strip()
    if not v or len(v) > 64 or _MASKED.match(v) or v.startswith("[REDACTED"):
        return False
    low = v.casefold()
    if low in _UI_WORDS or low.rstrip("?.!") in _UI_WORDS or v.endswith("?"):
        return False
    if len(v.split()) > 1:
        return False  # prose, a placeholder ("Enter your password") or a hint
    if separated:
        return True
    return bool(re.search(r"\d|[^\w\s]", v.rstrip(".,;:!")) or re.search(r"[a-z][A-Z]", v))


def _pin(value: str, separated: bool) -> bool:
    return bool(re.fullmatch(r"\d{4,8}", value.strip()))


def _card_code(value: str, separated: bool) -> bool:
    return bool(re.fullmatch(r"\d{3,4}", value.strip()))


def _national_id(value: str, separated: bool) -> bool:
    """SSN 078-05-1120, NINO QQ 12 34 56 C, a Steuer-ID, a BSN, a DNI 12345678Z: 5 to 24
    letters, digits and separators, at least 4 of them digits."""
    v = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ./-]{4,23}", v) or len(_digits(v)) < 4:
        return False
    # Each group has a digit, or is a letter or two of a code ("QQ 12 34 56 C"): not words.
    return all(re.search(r"\d", t) or re.fullmatch(r"[A-Z]{1,2}", t) for t in v.split())


def _passport(value: str, separated: bool) -> bool:
    v = re.sub(r"[ -]", "", value.strip())
    return bool(re.fullmatch(r"[A-Za-z0-9]{6,10}", v)) and len(_digits(v)) >= 2


def _account(value: str, separated: bool) -> bool:
    from capture.privacy import iban_ok

    v = value.strip()
    return iban_ok(v) or bool(re.fullmatch(r"\d[\d -]{4,32}\d", v)) and 6 <= len(_digits(v)) <= 30


def _token(value: str, separated: bool) -> bool:
    v = value.strip()
    return (bool(re.fullmatch(r"[A-Za-z0-9_\-./+=:]{8,}", v)) and bool(re.search(r"\d", v))
            and bool(re.search(r"[A-Za-z]", v)))


@dataclass(frozen=True)
class Field:
    kind: str  # the marker's kind: [REDACTED:kind]
    label: re.Pattern  # matches the whole (normalised) label
    value: Callable[[str, bool], bool]  # (value text, separated from the label?) -> a value of it?


def _label(words: str) -> re.Pattern:
    # A label may end in a colon, an asterisk (required), a number sign or "(required)".
    return re.compile(rf"(?:{words})[ \t]*(?:\(required\)|\*|:|#|no\.?|nr\.?|number)?[ \t]*:?")


FIELDS: tuple[Field, ...] = (
    Field("password", _label(
        r"(?:(?:wi-?fi|wlan|wpa2?|network|account|current|old|new|confirm|repeat|retype|master|admin|"
        r"root|database|db|app|application|email|e-mail|router|vpn|ftp|ssh|sudo|user|login|"
        r"temporary|initial|one-time)[ \t-]+)?"
        r"(?:password|passwort|passphrase|passcode|pwd|kennwort|mot de passe|contraseña|senha|"
        r"wachtwoord|hasło|lösenord|adgangskode|salasana)(?:[ \t]+(?:again|confirmation|\(again\)))?|"
        r"(?:wi-?fi|wpa2?|network|security)[ \t]+key|pre-?shared key|psk"), _password_value),
    Field("pin", _label(r"(?:card[ \t]+|sim[ \t]+|atm[ \t]+|new[ \t]+|current[ \t]+)?pin(?:[ \t]+code)?|puk"), _pin),
    Field("card-code", _label(
        r"cvv2?|cvc2?|cid|csc|cvn|security[ \t]+code|card[ \t]+security[ \t]+code|"
        r"card[ \t]+(?:verification|validation)[ \t]+(?:code|value|number)|"
        r"(?:3|three|4|four)[- ]digit[ \t]+(?:security[ \t]+)?code|kartenprüfnummer|prüfziffer|"
        r"cryptogramme(?:[ \t]+visuel)?"), _card_code),
    Field("national-id", _label(
        r"ssn|social[ \t]+security(?:[ \t]+(?:number|no\.?|#))?|sin|social[ \t]+insurance[ \t]+number|"
        r"national[ \t]+insurance(?:[ \t]+(?:number|no\.?))?|nino|ni[ \t]+number|"
        r"national[ \t]+id(?:entity|entification)?(?:[ \t]+(?:number|no\.?|card))?|"
        r"(?:personal|citizen|identity|id)[ \t]+(?:id[ \t]+)?(?:number|no\.?|code)|"
        r"tax[ \t]+(?:id|identification)(?:[ \t]+(?:number|no\.?))?|tin|itin|"
        r"steuer-?id|steueridentifikationsnummer|steuer-?identifikationsnummer|"
        r"personalausweis(?:nummer|-?nr\.?)?|ausweisnummer|sozialversicherungsnummer|"
        r"bsn|burgerservicenummer|dni|nie|nif|codice[ \t]+fiscale|pesel|aadhaar(?:[ \t]+(?:number|no\.?))?|"
        r"personnummer|cpr(?:-nummer)?|numéro[ \t]+de[ \t]+sécurité[ \t]+sociale|nir|insee|"
        r"driver'?s?[ \t]+licen[cs]e(?:[ \t]+(?:number|no\.?))?"), _national_id),
    Field("passport", _label(
        r"passport(?:[ \t]+(?:number|no\.?|nr\.?|#|id))?|reisepass(?:nummer|-?nr\.?)?|passnummer|"
        r"numéro[ \t]+de[ \t]+passeport|passeport|número[ \t]+de[ \t]+pasaporte|pasaporte|"
        r"document[ \t]+(?:number|no\.?)"), _passport),
    Field("iban", _label(
        r"iban|(?:bank[ \t]+)?account[ \t]+(?:number|no\.?|#)|kontonummer|numéro[ \t]+de[ \t]+compte|"
        r"routing[ \t]+number|sort[ \t]+code|bsb"), _account),
    Field("api-key", _label(
        r"api[ \t]+key|api[ \t]+secret|secret(?:[ \t]+key)?|access[ \t]+(?:key|token)|"
        r"auth(?:entication)?[ \t]+token|bearer[ \t]+token|client[ \t]+secret|private[ \t]+key|"
        r"recovery[ \t]+(?:code|key)s?|backup[ \t]+codes?|seed[ \t]+phrase|recovery[ \t]+phrase|"
        r"license[ \t]+key|product[ \t]+key|signing[ \t]+secret|webhook[ \t]+secret"), _token),
)


def field_of(label: str) -> Field | None:
    """The field whose label `label` is (the whole line, colon and all), or None."""
    text = _norm(label).rstrip(" :")
    if not text or len(text) > 48:
        return None
    for f in FIELDS:
        if f.label.fullmatch(text):
            return f
    return None


# Each field's label followed by up to six tokens of a value, on one line.
_INLINE = tuple((f, re.compile(rf"(?i)(?<![\w-])(?:{f.label.pattern})(?P<sep>[ \t]*[:=#]?[ \t]*)"
                               r"(?P<value>\S+(?:[ -]\S+){0,5})")) for f in FIELDS)


def _inline(text: str) -> list[tuple[int, int, str]]:
    """Spans (start, end, kind) of values that follow their label on one line, with a colon or
    without: "CVV 737", "SSN 078-05-1120", "wifi password  CorrectHorse9"."""
    out = []
    for f, pattern in _INLINE:
        for m in pattern.finditer(text):
            head = text[m.start():m.start("value")]
            separated = any(c in head for c in ":=#")
            label = text[m.start():m.start("sep")]
            if not separated and len(re.sub(r"\W", "", label)) <= 4 and not label.isupper():
                continue  # "sin", "nie", "pin": words in many languages unless written as a label
            # The value is the longest run of its tokens that has the value's shape.
            words = re.split(r"(?<=\S)(?=[ -])", m.group("value"))
            for n in range(len(words), 0, -1):
                candidate = "".join(words[:n]).rstrip(".,;")
                if f.value(candidate, separated):
                    start = m.start("value")
                    out.append((start, start + len(candidate), f.kind))
                    break
    return out


def redact_inline(text: str, marker: Callable[[str], str]) -> tuple[str, list[str]]:
    """`text` with each value that follows its label on the line replaced by `marker(kind)`,
    and the kinds replaced."""
    text = unicodedata.normalize("NFKC", text) if not text.isascii() else text
    out, kinds, at = [], [], 0
    for start, end, kind in sorted(_inline(text)):
        if start < at:
            continue
        out.append(text[at:start] + marker(kind))
        kinds.append(kind)
        at = end
    out.append(text[at:])
    return "".join(out), kinds


# -- the layout ------------------------------------------------------------------------------------
def _same_row(a: Region, b: Region) -> bool:
    ca, cb = a.y + a.height / 2, b.y + b.height / 2
    return abs(ca - cb) <= 0.6 * max(a.height, b.height)


def _right_of(label: Region, value: Region) -> float | None:
    """The gap from the label to a value on its row, to its right; None if not there."""
    if not _same_row(label, value) or value.x < label.x + label.width - 2:
        return None
    gap = value.x - (label.x + label.width)
    return gap if gap <= max(400, 30 * label.height) else None


def _below(label: Region, value: Region) -> float | None:
    """The gap from the label to a value just below it, left-aligned with it or under it."""
    gap = value.y - (label.y + label.height)
    if gap < -0.3 * label.height or gap > 2.5 * max(label.height, 12):
        return None
    if value.x > label.x + label.width or value.x + value.width < label.x:
        return None  # not under the label
    if abs(value.x - label.x) > max(3 * label.height, 0.5 * label.width) and value.x < label.x:
        return None
    return gap


@dataclass(frozen=True)
class Secret:
    """A line that holds a secret found by layout: `index` into the lines, `kind`, and the
    label line it belongs to."""

    index: int
    kind: str
    label: int


def paired_values(lines: Sequence[TextLine]) -> list[Secret]:
    """Lines that are the value of a secret field whose label is another line: the nearest
    line on the label's row to its right, else the nearest line just below it."""
    found: list[Secret] = []
    taken: set[int] = set()
    for i, label in enumerate(lines):
        f = field_of(label.text)
        if f is None:
            continue
        right = sorted((g, j) for j, ln in enumerate(lines)
                       if j != i and (g := _right_of(label.box, ln.box)) is not None)
        if right:
            candidates = [right[0][1]]
        else:  # nothing beside it: a label above its field
            below = sorted((g, j) for j, ln in enumerate(lines)
                           if j != i and (g := _below(label.box, ln.box)) is not None)
            candidates = [below[0][1]] if below else []
        for j in candidates:
            value = lines[j].text
            if j in taken or field_of(value) is not None:
                continue
            if f.value(value, True):
                found.append(Secret(j, f.kind, i))
                taken.add(j)
    return found


__all__ = ["FIELDS", "Field", "Secret", "field_of", "paired_values", "redact_inline"]

"""Index terms for what the word index cannot see: unsegmented scripts and symbols.

The full-text tokenizer (unicode61) splits on spaces and punctuation only, so a Chinese, Japanese
or Thai sentence is one long token and a word inside it is never found; and it drops symbols, so
an emoji is never found at all. Here each run of an unsegmented script becomes its characters and
overlapping character pairs (the classic CJK bigram index: any word of two characters or more is
found by its pairs, ranked by how many of them a row holds), and each symbol becomes a term of its
own. Terms are spelled in ASCII ("g21307x38498" for 医院), so any tokenizer keeps them whole and
no stemmer changes them.

The tokenizer also cuts a hyphenated word in two ("E-Mail" is "e" and "mail"), so a search for
"email", "wifi" or "destress" missed "E-Mail", "Wi-Fi" and "de-stress". Each such compound is also
a term of its own, spelled "c" and its joined, case-folded parts ("cemail"), and a query's words
are looked up in that form as well; a hyphenated query word is searched joined as well
(memory.store.query_words), which finds the pages that write it in one piece.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["COMPOUND", "UNSEGMENTED", "index_terms", "joined", "query_terms"]

# Scripts written without spaces between words (and Hangul, whose words carry particles).
UNSEGMENTED = re.compile(
    "[\u0e00-\u0eff"          # Thai, Lao
    "\u1000-\u109f"           # Myanmar
    "\u1780-\u17ff"           # Khmer
    "\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uac00-\ud7af"           # Hangul syllables
    "\uff66-\uff9f"           # half-width Katakana
    "\U00020000-\U0002fa1f]+")  # Han, supplementary planes
_SKIN_TONES = range(0x1F3FB, 0x1F400)
# Letters and digits joined by hyphens (ASCII, Unicode's hyphen and non-breaking hyphen):
# "E-Mail", "Wi-Fi", "de-stress", "COVID-19", "Zahn-Reinigung". Not "--" nor a dash with spaces.
COMPOUND = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)+")
_HYPHENS = re.compile(r"[-\u2010\u2011]")
_WORD = re.compile(r"[^\W_]{3,}")
MAX_COMPOUND = 40  # characters of a joined compound (longer runs are identifiers, not words)
MAX_TERMS = 4096  # per row: a page of CJK text has far fewer distinct pairs


_ASCII_SYMBOLS = re.compile(r"[$+<=>^`|~]")  # the ASCII characters of the Unicode symbol categories
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _symbols(text: str) -> list[str]:
    found = [f"g{ord(ch)}" for ch in _ASCII_SYMBOLS.findall(text)]
    if not text.isascii():  # most screen text is: skip the per-character look-up
        found += [f"g{ord(ch)}" for ch in _NON_ASCII.findall(text)
                  if unicodedata.category(ch).startswith("S") and ord(ch) not in _SKIN_TONES]
    return found


def _run_terms(run: str) -> list[str]:
    singles = [f"g{ord(ch)}" for ch in run]
    pairs = [f"g{ord(a)}x{ord(b)}" for a, b in zip(run, run[1:], strict=False)]
    return singles + pairs


def joined(compound: str) -> str:
    """A hyphenated word in one piece, case-folded ("Wi-Fi" -> "wifi")."""
    return _HYPHENS.sub("", compound).casefold()


def _compounds(text: str) -> list[str]:
    if not _HYPHENS.search(text):  # most text: skip the compound scan
        return []
    # A date or a number range ("2026-12-01", "9-5") has no letters: not a word.
    return [f"c{word}" for word in map(joined, COMPOUND.findall(text))
            if len(word) <= MAX_COMPOUND and not word.isdigit()]


def index_terms(*texts: str | None) -> str:
    """The distinct index terms of `texts`, space-separated ('' when there are none)."""
    terms: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for run in UNSEGMENTED.findall(text):
            terms.update(dict.fromkeys(_run_terms(run)))
        terms.update(dict.fromkeys(_symbols(text)))
        terms.update(dict.fromkeys(_compounds(text)))
        if len(terms) >= MAX_TERMS:
            break
    return " ".join(list(terms)[:MAX_TERMS])


def query_terms(text: str) -> list[str]:
    """The terms to look up for a query: a run's pairs (its one character, when it has one), its
    symbols, and each word of 3+ letters and each hyphenated word as a compound ("destress" finds
    "de-stress"); [] when the query has none of them."""
    terms: dict[str, None] = {}
    for run in UNSEGMENTED.findall(text):
        pairs = [f"g{ord(a)}x{ord(b)}" for a, b in zip(run, run[1:], strict=False)]
        terms.update(dict.fromkeys(pairs or [f"g{ord(run)}"]))
    # A symbol is looked up when it stands for itself: any symbol of a query without words,
    # else those beyond ASCII (an emoji, "€"); "LGBTQ+" asks for the word, not for "+".
    alone = not re.search(r"[^\W_]", UNSEGMENTED.sub(" ", text))
    terms.update(dict.fromkeys(t for t in _symbols(text) if alone or int(t[1:]) > 127))
    terms.update(dict.fromkeys(_compounds(text)))
    terms.update(dict.fromkeys(f"c{w.casefold()}" for w in _WORD.findall(UNSEGMENTED.sub(" ", text))
                               if len(w) <= MAX_COMPOUND))
    return list(terms)[:64]

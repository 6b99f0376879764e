"""Index terms for what the word index cannot see: unsegmented scripts and symbols.

The full-text tokenizer (unicode61) splits on spaces and punctuation only, so a Chinese, Japanese
or Thai sentence is one long token and a word inside it is never found; and it drops symbols, so
an emoji is never found at all. Here each run of an unsegmented script becomes its characters and
overlapping character pairs (the classic CJK bigram index: any word of two characters or more is
found by its pairs, ranked by how many of them a row holds), and each symbol becomes a term of its
own. Terms are spelled in ASCII ("g21307x38498" for 医院), so any tokenizer keeps them whole and
no stemmer changes them.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["UNSEGMENTED", "index_terms", "query_terms"]

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


def index_terms(*texts: str | None) -> str:
    """The distinct index terms of `texts`, space-separated ('' when there are none)."""
    terms: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for run in UNSEGMENTED.findall(text):
            terms.update(dict.fromkeys(_run_terms(run)))
        terms.update(dict.fromkeys(_symbols(text)))
        if len(terms) >= MAX_TERMS:
            break
    return " ".join(list(terms)[:MAX_TERMS])


def query_terms(text: str) -> list[str]:
    """The terms to look up for a query: a run's pairs (its one character, when it has one) and
    its symbols; [] when the query has neither."""
    terms: dict[str, None] = {}
    for run in UNSEGMENTED.findall(text):
        pairs = [f"g{ord(a)}x{ord(b)}" for a, b in zip(run, run[1:], strict=False)]
        terms.update(dict.fromkeys(pairs or [f"g{ord(run)}"]))
    # A symbol is looked up when it stands for itself: any symbol of a query without words,
    # else those beyond ASCII (an emoji, "€"); "LGBTQ+" asks for the word, not for "+".
    alone = not re.search(r"[^\W_]", UNSEGMENTED.sub(" ", text))
    terms.update(dict.fromkeys(t for t in _symbols(text) if alone or int(t[1:]) > 127))
    return list(terms)[:64]

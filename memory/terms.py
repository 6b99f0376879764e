"""Content terms of a text in any script: what grounding, provenance and passage choice compare.

A word is a run of letters, digits and combining marks (the vowel signs of Devanagari and the
harakat of Arabic are marks, so `\\w` would cut words at them); scripts written without spaces
(Han, kana, Thai, Lao, Khmer, Myanmar; and Hangul, whose words carry particles) are read as
overlapping character pairs, so "医院" is a term of "我明天去医院看病".
"""

from __future__ import annotations

import unicodedata

from memory.grams import UNSEGMENTED

_STOP = frozenset("the a an and or of to in on at for with from by is are was were be been it its this that "
                  "these those as not no he she they we you i his her their our your my me him them "
                  "has have had do does did will would can could about into over after before".split())


def terms(text: str) -> list[str]:
    """The content terms of `text`, in any script: case-folded words of 3+ characters (2+ outside
    Latin) without English stop words, numbers of any length, and character pairs inside
    unspaced scripts."""
    out = []
    for word in words(text.casefold()):
        runs = UNSEGMENTED.findall(word)
        if runs:
            for run in runs:
                out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
            word = UNSEGMENTED.sub(" ", word)
            out += [w for w in word.split() if len(w) > 2 and w not in _STOP]
        elif word.isdigit() or word not in _STOP and (len(word) > 2 or (len(word) == 2 and not word.isascii())):
            out.append(word)
    return out


def words(text: str) -> list[str]:
    """Runs of letters, digits and combining marks, in order."""
    return "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text).split()


class Vocabulary:
    """The content terms of a source text, asked whether it uses a term or a word of its stem: a
    crude, language-blind stemmer (a shared first five letters, or a four-letter word and its
    longer form), enough to see that "configured" and "opened" restate "configure" and "open"
    where a summary words what a screen showed."""

    def __init__(self, text: str) -> None:
        self.terms = set(terms(text))
        self._five = {t[:5] for t in self.terms if len(t) >= 5}
        self._four = {t[:4] for t in self.terms if len(t) >= 4}
        self._short = {t for t in self.terms if len(t) == 4}

    def covers(self, term: str) -> bool:
        if term in self.terms:
            return True
        if term.isdigit() or len(term) < 4:
            return False
        if len(term) == 4:
            return term in self._four
        return term[:5] in self._five or term[:4] in self._short

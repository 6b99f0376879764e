"""Which texts the English embedder cannot read: those in another script, and those in another
language written in Latin letters.

MiniLM (memory.embed) reads English. A Chinese or Russian line is mostly unknown word pieces to
it; a German, French or Spanish one shares its letters but not its words: eight English notes
asked about in German, French and Spanish (one question per note) got their right note at a cosine
of 0.18-0.22 from MiniLM, under the 0.3 below which search counts a neighbour as unrelated, so
such a question found nothing by meaning; USE-multilingual put the right note first 24 times of 24
(cosine 0.43-0.45). The language of Latin-script text is told by py3langid (the langid.py model,
shipped in its wheel), limited to English and the Latin-script languages USE-multilingual v3 was
trained on, and trusted only when sure: 0 of 788 English LoCoMo lines and 0 of 6,970 lines of this
project's English prose and Python were read as another language at OTHER_LANGUAGE_PROBABILITY,
while its own scores for code went up to 0.78, and the 24 questions all passed it (lowest 0.89).
"""

from __future__ import annotations

import threading

NON_LATIN_SHARE = 0.2  # of a text's letters: from this share on, MiniLM reads too little of it
# The Latin-script languages of Universal Sentence Encoder multilingual v3 (with English, which
# must be among the choices for a text to be read as English).
LATIN_LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pl", "pt", "tr")
OTHER_LANGUAGE_PROBABILITY = 0.85
SAMPLE_CHARS = 2000  # the language of a long page is that of its start; langid reads it all otherwise

_identifier = None
_lock = threading.Lock()


def other_script(text: str) -> bool:
    """Whether `text` is written enough in a script other than Latin (Chinese, Cyrillic, Arabic,
    Devanagari...): NON_LATIN_SHARE of its letters or more. Latin letters are those below U+0250
    and the Latin Extended Additional block (Vietnamese)."""
    letters = non_latin = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            code = ord(ch)
            non_latin += not (code < 0x250 or 0x1E00 <= code <= 0x1EFF)
    return letters > 0 and non_latin >= NON_LATIN_SHARE * letters


def other_language(text: str) -> bool:
    """Whether Latin-script `text` is, for certain, in a language other than English (German,
    French, Spanish, Italian, Dutch, Polish, Portuguese, Turkish). Short or mixed text, code and
    names stay English. About 0.05 ms for a line."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 8:
        return False
    language, probability = _language_identifier().classify(sample)
    return language != "en" and probability >= OTHER_LANGUAGE_PROBABILITY


def needs_multilingual(text: str) -> bool:
    """Whether `text` needs the multilingual embedder: another script, or another language."""
    return other_script(text) or other_language(text)


def _language_identifier():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LATIN_LANGUAGES))
            _identifier = identifier
        return _identifier

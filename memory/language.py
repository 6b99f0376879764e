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
import unicodedata

NON_LATIN_SHARE = 0.2  # of a text's letters: from this share on, MiniLM reads too little of it
# The Latin-script languages of Universal Sentence Encoder multilingual v3 (with English, which
# must be among the choices for a text to be read as English).
LATIN_LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pl", "pt", "tr")
OTHER_LANGUAGE_PROBABILITY = 0.85
SAMPLE_CHARS = 2000  # the language of a long page is that of its start; langid reads it all otherwise

_STOP_WORD_LISTS = {"de": "german", "es": "spanish", "fr": "french", "it": "italian", "nl": "dutch",
                    "pl": "polish", "pt": "portuguese", "tr": "turkish", "ru": "russian"}
_stop_cache: dict[str, frozenset[str]] = {}
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


def language_of(text: str) -> str:
    """The ISO 639-1 code of the language `text` is, for certain, written in among English,
    Russian and LATIN_LANGUAGES; "en" for English and whenever it is not sure (short or mixed
    text, code, names). About 0.05 ms for a line."""
    language = sure_language(text)
    return language if language in (*LATIN_LANGUAGES, "ru") else "en"


def sure_language(text: str) -> str | None:
    """What `text` is written in, when that is certain: an ISO 639-1 code among English, Russian
    and LATIN_LANGUAGES, or the Unicode script of its first letter outside them ("CJK",
    "ARABIC", "HEBREW"...) for other scripts; None when unsure (short or mixed text, code, names).
    For telling whether two texts may name the same thing in different words ("Lissabon",
    "Lisbon")."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 8:
        return None
    language, probability = _language_identifier().classify(sample)
    if other_script(sample) and language != "ru":
        return next(unicodedata.name(ch, "?").split()[0] for ch in sample
                    if ch.isalpha() and not ord(ch) < 0x250)
    return language if probability >= OTHER_LANGUAGE_PROBABILITY else None


def other_language(text: str) -> bool:
    """Whether Latin-script `text` is, for certain, in a language other than English (German,
    French, Spanish, Italian, Dutch, Polish, Portuguese, Turkish)."""
    return language_of(text) in LATIN_LANGUAGES[1:]


def stop_words(language: str) -> frozenset[str]:
    """The function words of a language other than English, lower case, from the stop-words
    package ("ist", "die", "wann" in German), for leaving out of a full-text query: in a small
    store they match every line in that language. English keeps search's own short list; an
    unknown language has none."""
    if language == "en" or language not in _STOP_WORD_LISTS:
        return frozenset()
    if language not in _stop_cache:
        from stop_words import get_stop_words

        _stop_cache[language] = frozenset(w.lower() for w in get_stop_words(_STOP_WORD_LISTS[language]))
    return _stop_cache[language]


def needs_multilingual(text: str) -> bool:
    """Whether `text` needs the multilingual embedder: another script, or another language."""
    return other_script(text) or other_language(text)


def _language_identifier():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages([*LATIN_LANGUAGES, "ru"])  # Cyrillic: no Latin text is read as it
            _identifier = identifier
        return _identifier

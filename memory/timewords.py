"""Time words of German, French, Spanish, Chinese and Japanese questions, rewritten as the English
phrases that memory.timephrase reads: "gestern" -> "yesterday", "la semaine dernière" -> "last
week", "hace 3 días" -> "3 days ago", "seit Montag" -> "since monday", "im März" -> "in march",
"昨天" -> "yesterday", "先週" -> "last week", "3日前" -> "3 days ago".

Chinese and Japanese are written without spaces, so their phrases are found inside a run of
characters, in any text with ideographs or kana (language "cjk"; memory.language does not tell them
apart from each other, and their time words barely overlap).

Applied only to a question that memory.language reads, for certain, as that language (German
"hier" is "here", French "hier" is "yesterday"). The common relative phrases of each language, not
a grammar of it: what the English grammar then makes of them (local days with the zone's rules,
certain or approximate) is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NUMBER_WORDS = {
    "de": "ein eine einem einer|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn",
    "fr": "un une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix",
    "es": "un una uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez",
}
_WEEKDAYS = {
    "de": "montag|dienstag|mittwoch|donnerstag|freitag|samstag sonnabend|sonntag",
    "fr": "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
    "es": "lunes|martes|miércoles miercoles|jueves|viernes|sábado sabado|domingo",
}
_MONTHS = {
    "de": "januar jänner|februar|märz maerz|april|mai|juni|juli|august|september|oktober|november|dezember",
    "fr": "janvier|février fevrier|mars|avril|mai|juin|juillet|août aout|septembre|octobre|novembre|décembre decembre",
    "es": "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre setiembre|octubre|noviembre|diciembre",
}
_UNITS = {
    "de": "tag tagen|woche wochen|monat monaten|jahr jahren|stunde stunden|minute minuten",
    "fr": "jour jours|semaine semaines|mois|an ans|heure heures|minute minutes",
    "es": "día días dia dias|semana semanas|mes meses|año años|hora horas|minuto minutos",
}
_ENGLISH_UNITS = "days weeks months years hours minutes".split()
_ENGLISH_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_ENGLISH_MONTHS = ("january february march april may june july august september october november "
                   "december").split()


def _table(spec: str, english: list[str]) -> dict[str, str]:
    return {word: english[n] for n, words in enumerate(spec.split("|")) for word in words.split()}


def _alternatives(words: dict[str, str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _rules(language: str) -> list[tuple[str, Callable[[re.Match], str]]]:
    numbers = _table(_NUMBER_WORDS[language], [str(n) for n in range(1, 11)])
    days = _table(_WEEKDAYS[language], _ENGLISH_WEEKDAYS)
    months = _table(_MONTHS[language], _ENGLISH_MONTHS)
    units = _table(_UNITS[language], _ENGLISH_UNITS)
    n, d, m, u = (f"(?P<n>[0-9]{{1,4}}|{_alternatives(numbers)})", f"(?P<d>{_alternatives(days)})",
                  f"(?P<m>{_alternatives(months)})", f"(?P<u>{_alternatives(units)})")
    phrases = {
        "de": [
            (r"vorgestern", "the day before yesterday"),
            (r"gestern (?:morgen|früh|vormittag)", "yesterday morning"),
            (r"gestern nachmittag", "yesterday afternoon"), (r"gestern abend", "yesterday evening"),
            (r"gestern nacht|letzte nacht", "last night"),
            (r"heute (?:morgen|früh|vormittag)", "this morning"), (r"heute nachmittag", "this afternoon"),
            (r"heute abend", "this evening"), (r"gestern", "yesterday"), (r"heute", "today"),
            (r"vorletzte woche", "the week before last"),
            (r"(?:letzte|letzten|vorige|vorigen|vergangene|vergangenen) woche", "last week"),
            (r"(?:diese|dieser) woche", "this week"),
            (r"(?:letztes|letzten|vergangenes|vergangenen|vorigen|voriges) wochenende", "last weekend"),
            (r"(?:dieses|diesem|am) wochenende", "this weekend"),
            (r"(?:letzten|letzter|vorigen|vergangenen) monat", "last month"),
            (r"(?:dieser|diesem|diesen) monat", "this month"),
            (r"(?:letztes|letzten|vergangenes|vergangenen|voriges) jahr", "last year"),
            (rf"vor {n} {u}", "{n} {u} ago"),
            (rf"seit (?:dem |letztem |letzten )?{d}", "since {d}"),
            (rf"(?:letzten|letzter|vorigen) {d}", "last {d}"),
            (rf"am {d}", "on {d}"),  # the last one, in a question; in a note it may be the next
            (rf"(?:im|in|seit) {m}", "in {m}"),
        ],
        "fr": [
            (r"avant hier", "the day before yesterday"), (r"hier matin", "yesterday morning"),
            (r"hier après midi", "yesterday afternoon"), (r"hier soir", "yesterday evening"),
            (r"la nuit dernière", "last night"), (r"ce matin", "this morning"),
            (r"cet après midi", "this afternoon"), (r"ce soir", "this evening"),
            (r"hier", "yesterday"), (r"aujourd hui", "today"),
            (r"la semaine (?:dernière|passée)", "last week"), (r"cette semaine", "this week"),
            (r"le week end (?:dernier|passé)", "last weekend"), (r"ce week end", "this weekend"),
            (r"le mois (?:dernier|passé)", "last month"), (r"ce mois ci", "this month"),
            (r"l année (?:dernière|passée)", "last year"),
            (rf"il y a {n} {u}", "{n} {u} ago"),
            (rf"depuis (?:le )?{d}", "since {d}"),
            (rf"{d} (?:dernier|passé)", "last {d}"),
            (rf"(?:en|depuis) {m}", "in {m}"),
        ],
        "es": [
            (r"anteayer|antier|antes de ayer", "the day before yesterday"),
            (r"ayer por la mañana", "yesterday morning"), (r"ayer por la tarde", "yesterday afternoon"),
            (r"ayer por la noche|anoche", "last night"), (r"esta mañana", "this morning"),
            (r"esta tarde", "this afternoon"), (r"esta noche", "tonight"),
            (r"ayer", "yesterday"), (r"hoy", "today"),
            (r"la semana pasada", "last week"), (r"esta semana", "this week"),
            (r"el fin de semana pasado", "last weekend"), (r"este fin de semana", "this weekend"),
            (r"el mes pasado", "last month"), (r"este mes", "this month"), (r"el año pasado", "last year"),
            (rf"hace {n} {u}", "{n} {u} ago"),
            (rf"desde el {d}", "since {d}"),
            (rf"el {d} pasado", "last {d}"),
            (rf"(?:en|desde) {m}", "in {m}"),
        ],
    }[language]
    def english(template: str) -> Callable[[re.Match], str]:
        def put(match: re.Match) -> str:
            g = {k: v.lower() if v else v for k, v in match.groupdict().items()}
            return template.format(n=numbers.get(g.get("n") or "", g.get("n")), u=units.get(g.get("u") or "", ""),
                                   d=days.get(g.get("d") or "", ""), m=months.get(g.get("m") or "", ""))
        return put

    return [(pattern, english(words)) for pattern, words in phrases]


_CJK_NUMBERS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CJK_WEEKDAYS = {"一": "monday", "二": "tuesday", "三": "wednesday", "四": "thursday", "五": "friday",
                 "六": "saturday", "日": "sunday", "天": "sunday"}
_CJK_UNITS = {"天": "days", "日": "days", "周": "weeks", "个星期": "weeks", "个礼拜": "weeks", "週間": "weeks",
              "个月": "months", "か月": "months", "ヶ月": "months", "カ月": "months", "年": "years",
              "小时": "hours", "時間": "hours", "分钟": "minutes", "分": "minutes"}  # "3月前" may be "before March"
_CJK_WEEK = r"(?:周|星期|礼拜)"
_CJK_PHRASES = [  # longer first: "上周三" before "上周", "昨天晚上" before "昨天"
    # "上周三" is the Wednesday of last week, not the last Wednesday (English "last wednesday"): in a
    # note that day, in a question that week (its grammar has no such phrase). A weekday of this
    # week is the English "this wednesday".
    (rf"上个?{_CJK_WEEK}(?P<d>[一二三四五六日天])", ("last week", "the {d} of last week")),
    (rf"下个?{_CJK_WEEK}(?P<d>[一二三四五六日天])", ("next week", "the {d} of next week")),
    (rf"(?:这|这个|本){_CJK_WEEK}(?P<d>[一二三四五六日天])", "this {d}"),
    (r"(?<![0-9一两二三四五六七八九十百千])(?P<n>[0-9]{1,3}|[一两二三四五六七八九十]) ?(?P<u>"
     + "|".join(sorted(_CJK_UNITS, key=len, reverse=True)) + ")(?:前|以前)", "{n} {u} ago"),
    (r"昨天(?:早上|上午)|昨日の朝", "yesterday morning"), (r"昨天下午|昨日の午後", "yesterday afternoon"),
    (r"昨天晚上|昨晚|昨夜|昨日の夜", "last night"),
    (r"今天(?:早上|上午)|今早|今朝", "this morning"), (r"今天下午|今日の午後", "this afternoon"),
    (r"今天晚上|今晚|今夜", "this evening"),
    (r"大前天", "3 days ago"), (r"前天|一昨日|おととい", "the day before yesterday"),
    (r"昨天|昨日|きのう", "yesterday"), (r"今天|今日|きょう", "today"),
    (r"后天|明後日|あさって", "day after tomorrow"), (r"明天|明日|あした", "tomorrow"),
    (rf"上个?周末|上{_CJK_WEEK}末|先週末", "last weekend"), (r"这个?周末|本周末|今週末", "this weekend"),
    (rf"上个?{_CJK_WEEK}|先週", "last week"), (rf"(?:这|这个|本){_CJK_WEEK}|今週", "this week"),
    (rf"下个?{_CJK_WEEK}|来週", "next week"),
    (r"上个?月|先月", "last month"), (r"这个月|本月|今月", "this month"), (r"下个?月|来月", "next month"),
    (r"去年|昨年", "last year"), (r"今年", "this year"), (r"明年|来年", "next year"),
]
_CJK_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")  # kana and ideographs


def _cjk_rules(in_note: bool) -> list[tuple[re.Pattern, Callable[[re.Match], str]]]:
    """The rules for a question, or `in_note` for a note (where a phrase may be written more exactly)."""
    def english(template: str | tuple[str, str]) -> Callable[[re.Match], str]:
        if isinstance(template, tuple):
            template = template[in_note]

        def put(match: re.Match) -> str:
            g = match.groupdict()
            n = g.get("n")
            return template.format(n=n if n is None or n.isdigit() else _CJK_NUMBERS[n],
                                   u=_CJK_UNITS.get(g.get("u") or "", ""), d=_CJK_WEEKDAYS.get(g.get("d") or "", ""))
        return put

    return [(re.compile(p), english(words)) for p, words in _CJK_PHRASES]


def _language(text: str, language: str) -> str:
    """The rules `text` is read by: `language`'s own, or "cjk" for a text with ideographs or kana."""
    return "cjk" if language not in _NUMBER_WORDS and _CJK_TEXT.search(text) else language


_CACHE: dict[str, list] = {}
_GAP = r"[\s'’-]+"  # what parts a phrase as written: "avant-hier", "aujourd'hui", "week-end"
_WRITTEN_CACHE: dict[str, list] = {}

# Words that ask for a time in a question of each language ("Wann…?", "Depuis quand…?", "¿Cuánto
# tiempo…?"), for memory.timephrase.asks_when.
ASKING = {
    "de": r"wann|seit wann|wie lange|an welchem tag|in welchem (?:monat|jahr)",
    "fr": r"quand|depuis quand|combien de temps|quel jour|quelle (?:date|année|semaine)",
    "es": r"cuándo|cuando|desde cuándo|cuánto tiempo|qué día|qué (?:fecha|año|semana|mes)",
}
# Words of a text in those languages that say when (memory.timephrase.states_time, with the weekday,
# month, unit and number words above): relative days, and the words beside a unit
# ("letzte Woche", "la semaine dernière", "el mes pasado") or before a count of units ("vor 3
# Tagen", "hace 2 semanas"; French "il y a" is read as its last two words).
RELATIVE_DAYS = frozenset(
    "vorgestern gestern heute morgen übermorgen aujourd demain anteayer ayer anoche hoy mañana".split())
BESIDE_UNIT = frozenset(
    "letzte letzten letzter letztes vorige vorigen voriges vergangene vergangenen vergangenes nächste nächsten "
    "nächster nächstes kommende kommenden dernière dernier passée passé prochaine prochain pasada pasado "
    "próxima próximo".split())
BEFORE_COUNT = frozenset("vor hace".split())


def names(kind: str) -> list[str]:
    """Every German, French and Spanish word of `kind`: "weekday", "month", "unit" (days, weeks...)
    or "number" (one to ten)."""
    tables = {"weekday": _WEEKDAYS, "month": _MONTHS, "unit": _UNITS, "number": _NUMBER_WORDS}[kind]
    return [word for spec in tables.values() for word in spec.replace("|", " ").split()]


def month_numbers() -> dict[str, int]:
    """Every German, French and Spanish month name (lower case) and its number: "märz" -> 3."""
    return {word: n for spec in _MONTHS.values() for n, words in enumerate(spec.split("|"), start=1)
            for word in words.split()}


def in_english(text: str, language: str) -> str:
    """`text` (lower case, words separated by single spaces, as memory.timephrase has it) with the
    time words of `language` ("de", "fr", "es"; Chinese and Japanese in any text with ideographs or
    kana) in English; any other language is left as it is."""
    language = _language(text, language)
    if language == "cjk":  # inside a run of characters: spaced, so that English words are words
        for pattern, put in _cjk_rules_cached(in_note=False):
            text = pattern.sub(lambda m, put=put: f" {put(m)} ", text)
        return " ".join(text.split())
    if language not in _NUMBER_WORDS:
        return text
    if language not in _CACHE:
        _CACHE[language] = [(re.compile(rf"\b(?:{p})\b"), put) for p, put in _rules(language)]
    for pattern, replace in _CACHE[language]:
        text = pattern.sub(replace, text)
    return text


def _cjk_rules_cached(in_note: bool) -> list[tuple[re.Pattern, Callable[[re.Match], str]]]:
    name = "cjk note" if in_note else "cjk"
    if name not in _CACHE:
        _CACHE[name] = _cjk_rules(in_note)
    return _CACHE[name]


def phrases(text: str, language: str) -> list[tuple[int, int, str]]:
    """Where `text`, as written (any case, "avant-hier", "aujourd'hui", "Week-end"), says a time
    phrase of `language` ("de", "fr", "es"; Chinese and Japanese in any text with ideographs or
    kana), as (start, end, the English phrase) in the order of the text, none overlapping another:
    "Ich war gestern Abend dort" -> [(8, 21, "yesterday evening")]. Any other language has none."""
    language = _language(text, language)
    if language == "cjk":
        rules = _cjk_rules_cached(in_note=True)
    elif language in _NUMBER_WORDS:
        if language not in _WRITTEN_CACHE:
            _WRITTEN_CACHE[language] = [
                (re.compile(r"(?<!\w)(?:" + p.replace(" ", _GAP) + r")(?!\w)", re.IGNORECASE), put)
                for p, put in _rules(language)]
        rules = _WRITTEN_CACHE[language]
    else:
        return []
    found: list[tuple[int, int, str]] = []
    for pattern, put in rules:  # longer phrases first: "gestern abend" before "gestern"
        for m in pattern.finditer(text):
            if all(m.end() <= start or m.start() >= end for start, end, _ in found):
                found.append((m.start(), m.end(), put(m)))
    return sorted(found)


_DATE_FORMS = {  # a day, a month: how each language writes them, and the word before one mid-sentence
    "de": ("{d}. {month} {y}", "am", "{month} {y}", "im"),
    "fr": ("{d} {month} {y}", "le", "{month} {y}", "en"),
    "es": ("{d} de {month} de {y}", "el", "{month} de {y}", "en"),
}


# "the week before 22 November 2026", "the weekend of 14 November 2026" in each language: the phrase
# at the start of an answer, and inside a sentence (German puts a preposition before it).
_WEEK_FORMS = {
    "de": {"week": ("die Woche", "in der Woche"), "weekend": ("das Wochenende", "am Wochenende"),
           "before": "vor dem", "of": "vom", "after": "nach dem"},
    "fr": {"week": ("la semaine", "la semaine"), "weekend": ("le week-end", "le week-end"),
           "before": "avant le", "of": "du", "after": "après le"},
    "es": {"week": ("la semana", "la semana"), "weekend": ("el fin de semana", "el fin de semana"),
           "before": "antes del", "of": "del", "after": "después del"},
}


def written_week(kind: str, relation: str, year: int, month: int, day: int, language: str,
                 inside: bool) -> str | None:
    """The `kind` ("week", "weekend") `relation` ("before", "of", "after") a day, as `language`
    writes it: "Die Woche vor dem 22. November 2026", inside a sentence "in der Woche vor dem 22.
    November 2026"; "la semaine du 9 juin 2023", "el fin de semana antes del 8 de mayo de 2023".
    None for a language not listed."""
    if language not in _WEEK_FORMS:
        return None
    forms = _WEEK_FORMS[language]
    written = f"{forms[kind][inside]} {forms[relation]} {written_date(year, month, day, language, False)}"
    return written if inside else written[:1].upper() + written[1:]


def written_date(year: int, month: int, day: int | None, language: str, inside: bool) -> str | None:
    """A day ("1. Dezember 2026", "1 décembre 2026", "1 de diciembre de 2026") or, with `day`
    None, a month ("Dezember 2026") as `language` writes it; `inside` a sentence with the word
    before it ("am 1. Dezember 2026", "en mayo de 2023"). None for a language not listed."""
    if language not in _DATE_FORMS:
        return None
    month_name = _MONTHS[language].split("|")[month - 1].split()[0]
    day_form, day_word, month_form, month_word = _DATE_FORMS[language]
    if language == "de":
        month_name = month_name.capitalize()
    written = (day_form if day else month_form).format(d=day, month=month_name, y=year)
    return f"{day_word if day else month_word} {written}" if inside else written[:1].upper() + written[1:]

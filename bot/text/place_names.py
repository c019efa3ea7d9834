"""Names of countries, territories and languages in every language a story can be in.

``/subscribe iraq`` should match "Irak", "Ирак", "العراق" and "伊拉克". The names come from
the CLDR data bundled with Babel (each locale's names of territories and languages), read
once, on first use. A typed term *names a place* (a territory, a region such as "Africa",
or a language official somewhere) when its words are the place's name in English
("iraqi" too), in the subscription's language, or in any language when the name is
written with letters English does not use (no English word is written "Ирак" or
"Türkei"; "island" is not Iceland, though it is in German): "irak" names Iraq in a chat
whose language is German, Turkish or French.

Each place then has *aliases* per story language: its names in that language, stemmed
there (Snowball: "Iraks", "irakische" meet "Irak"), plus the inflected and adjectival
forms stemming misses in Russian, Arabic and Hebrew ("Китая", "иракский"; "والعراق",
"عراقي"; "בסין") and the French "-ien" adjective ("irakien"). Only a story's own
language's aliases are
tried on it, and an alias must be a plausible name there, so that the world's languages
do not turn common words into places:

- at least 3 letters, or 2 Chinese/Japanese/Korean characters ("EU", "Ý" never match);
- not a stop word of its language (Russian "Того" is Togo and "of that");
- not one of a few known homographs (French "Maurice", a first name);
- in Vietnamese, at least two syllables ("Anh", "Pháp", "Đức" are common words too);
- naming one place only in that language (French "Congo" is both Congos: dropped);
- an occurrence inside a longer name of another place does not count: "Guinée" in
  "Guinée équatoriale", "马里" (Mali) in "索马里" (Somalia), "印度" in "印度尼西亚".

Languages outside those the language detector reports (``bot.text.language.CANDIDATES``)
are skipped: no story is ever in them, so their names could never match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.text.language import CANDIDATES, is_cjk_char
from bot.text.occurrences import Pattern
from bot.text.terms import stem, stemmer_language, stems, stopwords, words

_LANGUAGE = "lang:"  # entity ids: "IQ", "150" (regions) for territories, "lang:ar"
# Unknown region, pseudo-locales, and the World (Russian "мир" is also "peace").
_SKIP_TERRITORIES = frozenset({"ZZ", "XA", "XB", "001"})
# Scripts news is written in; CLDR also has English in Deseret and Shavian.
_SCRIPTS = frozenset({"Latn", "Cyrl", "Arab", "Hans", "Hant"})
# Newsworthy languages official nowhere in CLDR's data.
_EXTRA_LANGUAGES = frozenset({"ku"})
# CLDR locales whose language the detector reports under another code.
_LOCALE_LANGUAGE = {"nb": "no", "nn": "no"}
# English short names people type that CLDR does not give as the name.
_ENGLISH_EXTRA = {"uk": "GB", "britain": "GB", "great britain": "GB", "usa": "US"}
# Names that are, in their language, also a common word or first name.
# Names that are, in their language, also a common word, a first name or an abbreviation
# ("чад": fumes; "中美", "中非": China-US, China-Africa, also Central America and Africa).
_HOMOGRAPHS = {
    "fr": frozenset({"maurice", "dominique"}),
    "ru": frozenset({"чад"}),
    "uk": frozenset({"чад"}),
    "zh": frozenset({"中美", "中非"}),
}
_PAREN = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True, slots=True)
class Alias:
    """One name of a place in one language, as it can occur in a text of that language.

    ``stems``: over the text's stems in its language; ``forms``: over its words (forms
    stemming misses); ``blockers``: longer names of other places that contain this one,
    with this name's offset inside them.
    """

    words: tuple[str, ...]
    stems: Pattern
    forms: Pattern | None = None
    blockers: tuple[tuple[int, Alias], ...] = ()


# ---------------------------------------------------------------- reading CLDR


def _own_names(identifier: str) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """One locale's own territory and language names, not merged with its parents'."""
    from babel import localedata  # noqa: PLC0415 - CLDR data, read on first use only

    # Unmerged, each of ~400 locale files is read once (merged, a variant re-reads its
    # parents: seconds and ~200 MB). Babel caches what load() returns under the locale's
    # name, merged or not, and would serve an unmerged copy to the next Locale() that
    # asks: so one put there by this call is taken out again, under Babel's own lock.
    with localedata._cache_lock:
        cached = identifier in localedata._cache
        data = localedata.load(identifier, merge_inherited=False)
        if not cached:
            localedata._cache.pop(identifier, None)
    return data.get("territories", {}), data.get("languages", {})


def _read_cldr(only: Collection[str] | None = None) -> dict[str, dict[str, set[str]]]:
    """Story language -> place -> its names in that language (all the locale's variants:
    ``zh`` gathers Simplified and Traditional names, ``sr`` Cyrillic and Latin); of the
    languages in ``only``, when given."""
    from babel import localedata  # noqa: PLC0415
    from babel.languages import get_official_languages  # noqa: PLC0415

    identifiers = localedata.locale_identifiers()
    territories = [code for code in _own_names("en")[0] if code.isalpha()]
    # Languages: those official somewhere (CLDR), with a locale of their own. Not every
    # language CLDR names: "Meta'", "Vai" or "Nama" would make "meta" (Spanish "goal"),
    # "vai" (Portuguese "goes") and "nama" (Indonesian "name") names of languages.
    official = {lang for t in territories for lang in _official(get_official_languages, t)}
    languages_with_locales = {i for i in identifiers if "_" not in i}
    wanted_languages = (official | _EXTRA_LANGUAGES) & languages_with_locales
    names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for identifier in identifiers:
        base, *subtags = identifier.split("_")
        lang = _LOCALE_LANGUAGE.get(base, base)
        if lang not in CANDIDATES or any(len(t) == 4 and t not in _SCRIPTS for t in subtags):
            continue
        if only is not None and lang not in only:
            continue
        own_territories, own_languages = _own_names(identifier)
        for code, name in own_territories.items():
            if code not in _SKIP_TERRITORIES and name:
                names[lang][code].add(name)
        for code, name in own_languages.items():
            if code in wanted_languages and name:
                names[lang][_LANGUAGE + code].add(name)
    return names


def _official(get: Callable[..., tuple[str, ...]], territory: str) -> tuple[str, ...]:
    return get(territory, regional=True, de_facto=True)


def _variants(name: str) -> set[str]:
    """The name, and its parts: "Myanmar (Burma)" is also "Myanmar" and "Burma",
    "Congo - Kinshasa" also "Congo"."""
    name = unicodedata.normalize("NFKC", name)
    out = {name}
    outer = _PAREN.sub(" ", name).strip()
    out.add(outer)
    out.update(inner.strip() for inner in _PAREN.findall(name) if len(inner.strip()) > 3)
    if " - " in outer:
        out.add(outer.split(" - ")[0].strip())
    return {v for v in out if v}


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# ---------------------------------------------------------------- the index


@dataclass(frozen=True, slots=True)
class _Index:
    # Tuples, not sets: ~18,000 names and ~10,000 keys, read rarely, kept for good.
    names: Mapping[str, Mapping[str, tuple[str, ...]]]  # language -> place -> names
    english: Mapping[tuple[str, ...], tuple[str, ...]]  # words or stems -> places
    foreign: Mapping[tuple[str, ...], tuple[str, ...]]  # non-ASCII names, any language


@functools.cache
def _index() -> _Index:
    return _build_index(_read_cldr())


@functools.cache
def _english_index() -> Mapping[tuple[str, ...], tuple[str, ...]]:
    """English names alone, for terms in English letters asked about in English (a
    section heading's word): English's locales are a fraction of the ~400 files, and
    reading them all leaves a worker process ~18 MB larger for good."""
    if _index.cache_info().currsize:
        return _index().english  # read already
    return _build_index(_read_cldr({"en"})).english


def _build_index(raw: Mapping[str, Mapping[str, set[str]]]) -> _Index:
    names = {
        lang: {
            place: tuple(sorted({v for name in found for v in _variants(name)}))
            for place, found in by_place.items()
        }
        for lang, by_place in raw.items()
    }
    english: dict[tuple[str, ...], set[str]] = defaultdict(set)
    foreign: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for lang, by_place in names.items():
        for place, found in by_place.items():
            for name in found:
                key = tuple(words(name))
                if not key:
                    continue
                if lang == "en":
                    english[key].add(place)
                    english[tuple(stems(name))].add(place)  # "iraqi" -> "iraq"
                    english[tuple(words(_fold_accents(name)))].add(place)  # "cote d'ivoire"
                elif not name.isascii() and _long_enough(key):
                    foreign[key].add(place)
    for name, place in _ENGLISH_EXTRA.items():
        english[tuple(words(name))].add(place)
    return _Index(
        names=names,
        english={k: tuple(sorted(v)) for k, v in english.items()},
        foreign={k: tuple(sorted(v)) for k, v in foreign.items()},
    )


def _long_enough(key: tuple[str, ...]) -> bool:
    """At least 3 letters, or 2 Chinese/Japanese/Korean characters (one pair)."""
    if any(is_cjk_char(ch) for token in key for ch in token):
        return any(len(token) >= 2 for token in key)
    return sum(len(token) for token in key) >= 3


@functools.lru_cache(maxsize=8192)
def places_named(term: tuple[str, ...], language: str | None = None) -> frozenset[str]:
    """The places (territories, regions, languages) whose name ``term`` (its words, as
    :func:`bot.text.terms.words` gives them) is: in English (inflected: "iraqi"), in
    ``language`` (the subscription's) or, written in letters English lacks, in any."""
    if not term:
        return frozenset()
    english = _english_index()
    found = set(english.get(term, ()))
    found.update(english.get(tuple(stem(w) for w in term), ()))
    if not all(w.isascii() for w in term):
        found.update(_index().foreign.get(term, ()))  # only non-ASCII names are there
    if language and language != "en":
        found.update(_language_keys(language).get(term, ()))
    return frozenset(found)


@functools.cache
def _language_keys(language: str) -> Mapping[tuple[str, ...], tuple[str, ...]]:
    """One language's names as typed terms (the words of each) -> the places named."""
    keys: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for place, names in _index().names.get(language, {}).items():
        for name in names:
            keys[tuple(words(name))].add(place)
    return {k: tuple(sorted(v)) for k, v in keys.items() if k}


@functools.lru_cache(maxsize=16384)
def place_aliases(place: str, language: str) -> tuple[Alias, ...]:
    """How ``place`` can be named in a text of ``language`` (empty: not at all)."""
    return _language_aliases(language).get(place, ())


@functools.cache
def _language_aliases(language: str) -> Mapping[str, tuple[Alias, ...]]:
    """Every place's aliases in one language, built the first time a story of that
    language meets a place term."""
    every = [
        (place, _alias(toks, language))
        for place, names in _index().names.get(language, {}).items()
        for toks in {tuple(words(name)) for name in names}
        if toks
    ]
    places_of: dict[tuple[str, ...], set[str]] = defaultdict(set)
    containing: dict[str, list[tuple[str, Alias]]] = defaultdict(list)
    for place, alias in every:
        places_of[alias.words].add(place)
        places_of[_stem_key(alias, language)].add(place)
        for token in set(alias.words):
            containing[token].append((place, alias))
    out: dict[str, list[Alias]] = defaultdict(list)
    for place, alias in every:
        if not _plausible(alias.words, language) or len(places_of[alias.words]) > 1:
            continue
        if len(places_of[_stem_key(alias, language)]) > 1:
            continue  # two places' names that stem alike (or a name and a place's words)
        blockers = tuple(
            (offset, other)
            for other_place, other in containing[alias.words[0]]
            if other_place != place
            for offset in _offsets(alias.words, other.words)
        )
        out[place].append(
            Alias(alias.words, alias.stems, alias.forms, blockers) if blockers else alias
        )
    return {place: tuple(aliases) for place, aliases in out.items()}


def _stem_key(alias: Alias, language: str) -> tuple[str, ...]:
    return ("\x00stem", *(stem(t, stemmer_language(language)) for t in alias.words))


def _plausible(toks: tuple[str, ...], language: str) -> bool:
    if not _long_enough(toks):
        return False
    if all(t in stopwords(language) for t in toks):
        return False
    if " ".join(toks) in _HOMOGRAPHS.get(language, ()):
        return False
    return not (language == "vi" and len(toks) < 2)


def _offsets(inner: tuple[str, ...], outer: tuple[str, ...]) -> Iterable[int]:
    """Where ``inner`` stands inside the longer ``outer``."""
    n = len(inner)
    if n >= len(outer):
        return ()
    return [i for i in range(len(outer) - n + 1) if outer[i : i + n] == inner]


def _alias(toks: tuple[str, ...], language: str) -> Alias:
    stemmer = stemmer_language(language)  # as texts of the language are stemmed
    stemmed = [{stem(t, stemmer)} for t in toks]
    forms: list[set[str]] | None = None
    if language == "ru":
        forms = [_russian_forms(t) for t in toks]
    elif language == "ar":
        forms = [_arabic_forms(t, first=i == 0, alone=len(toks) == 1) for i, t in enumerate(toks)]
    elif language == "he":
        forms = [{p + t for p in _HE_PREFIXES} if i == 0 else {t} for i, t in enumerate(toks)]
    elif language == "fr" and len(toks) == 1:
        base = toks[0][:-1] if toks[0].endswith("e") else toks[0]
        stemmed[0].add(stem(base + "ien", stemmer))  # "irakien", "syrienne", "indiens"
    return Alias(
        words=toks,
        stems=tuple(frozenset(s) for s in stemmed),
        forms=tuple(frozenset(f) for f in forms) if forms else None,
    )


_RU_VOWELS = "аяеиоуыюйь"
_RU_NOUN = ("а", "я", "у", "ю", "е", "и", "ы", "ом", "ем", "ой", "ей", "ию", "ии", "ия")
_RU_ADJECTIVE = (
    "ий", "ый", "ого", "ому", "им", "ым", "ом", "ая", "ой", "ую", "ое", "ие", "ые", "их",
    "ых", "ими", "ыми",
)  # fmt: skip


def _russian_forms(word: str) -> set[str]:
    """Case forms of a name, and the adjective made from it: Ирак -> Ирака, Ираке,
    иракский; Китай -> Китая (not "кита", a whale's); Франция -> Франции; Саудовская ->
    Саудовской."""
    forms = {word}
    if len(word) > 4 and word.endswith(("ая", "ий", "ый", "ое", "ые", "ие", "ой")):
        forms.update(word[:-2] + e for e in _RU_ADJECTIVE)
        return forms
    base = word[:-1] if word[-1] in _RU_VOWELS else word
    if len(base) < 4:
        return forms  # "Куба": "кубы" is also cubes
    forms.update(base + e for e in _RU_NOUN)
    if word.endswith("ия"):
        adjective = word[:-1] + "йск"  # Россия -> российский, Индия -> индийский
    else:
        adjective = (word if word[-1] in "йь" else base) + "ск"  # китайский, израильский
    forms.update(adjective + e for e in _RU_ADJECTIVE)
    return forms


# Clitics before a name (and, then, in, for, the) and the adjective after it (nisba).
_AR_WITH_ARTICLE = ("ال", "وال", "فال", "بال", "لل", "وبال", "ولل")
_AR_BARE = ("", "و", "ف", "ب", "ل", "وب", "ول")
_AR_NISBA = ("ي", "ية", "يين", "يون")
# Hebrew writes and, the, in, to, from, that before a word: בסין, לסין, וסין.
_HE_PREFIXES = ("", "ו", "ה", "ב", "ל", "מ", "ש", "וב", "ול", "ומ", "וה", "שב", "של", "מה")
_AR_HAMZA = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})


def _arabic_forms(word: str, *, first: bool, alone: bool) -> set[str]:
    """A name with its clitics and its adjective: العراق -> والعراق, بالعراق, للعراق,
    العراقي, عراقية; إيران -> وإيران, لإيران, إيراني; each also without hamza. Clitics
    go on a name's first word, the adjective on one-word names."""
    forms = {word}
    core = word[2:] if word.startswith("ال") and len(word) > 4 else word
    if first:
        forms.update(p + core for p in (_AR_WITH_ARTICLE if core != word else _AR_BARE))
    if alone and len(core) >= 3:
        nisba = core[:-1] if core.endswith(("ا", "ة")) else core  # سوريا -> سوري
        forms.update(p + nisba + e for p in ("", *_AR_WITH_ARTICLE[:5]) for e in _AR_NISBA)
    return forms | {f.translate(_AR_HAMZA) for f in forms}


def is_language(place: str) -> bool:
    """Whether a place id from ``places_named`` is a language ("lang:fr")."""
    return place.startswith(_LANGUAGE)


@functools.cache
def english_names(place: str) -> frozenset[str]:
    """A territory's English names, folded ("philippines"; "uk" and "britain" for GB)."""
    names = {n for n, p in _ENGLISH_EXTRA.items() if p == place}
    from babel import Locale  # noqa: PLC0415 - CLDR data, read on first use only

    name = Locale("en").territories.get(place)
    if name:
        names.add(name.casefold())
    return frozenset(names)

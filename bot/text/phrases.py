"""Names and noun phrases in sentences: the candidates a section heading is chosen from.

Without a tagger, the parts of speech come from small word lists and suffixes
(``bot.text.headwords``): a name is a run of capitalised words not opening a sentence,
a noun phrase a run of adjectives or nouns ending in a noun.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet

from bot.core.locales import base_language
from bot.text.headwords import (
    ADJECTIVES,
    ADVERBS,
    BAD_STARTS,
    FUNCTION_WORDS,
    HEAD_NOUNS,
    NAME_JOINERS,
    TIME_WORDS,
    VERBS,
    is_adjective_form,
    is_verb_form,
    time_words,
)
from bot.text.place_names import places_named
from bot.text.sentences import wordlist
from bot.text.terms import STOPWORDS, normalise, stopwords

MAX_WORDS = 4


# ------------------------------------------------------------------ candidates
# Words start with a letter and end with a letter or digit of any Latin alphabet:
# "Fils-Aimé" was cut to "Fils-Aim" and "Émile" lost its first letter. A number is a
# token too, so that it parts the words around it ("Rund 80 Prozent" is no "Rund Prozent").
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_][\w'\u2019&.-]*[^\W_]|[^\W\d_]|\d[\d.,]*")
_CHUNK_BREAK = re.compile(
    r"[,;:()\[\]\"\u201c\u201d\u2018!?\u2013\u2014]|(?<=[a-z0-9]{2})\.(?=\s|$)|\s-\s"
)
_TITLE_DOT = re.compile(r"\b(Mrs|Mr|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|St|Prof|Rev)\.(?=\s)")
# A numbered part ("Ep. 61", "Vol. 2", "No. 9"): an abbreviation, no name.
_NUMBERED = re.compile(r"(?<![.\w])[A-Z][a-z]{0,3}\.\s?(?=\d)")
_POSSESSIVE = re.compile(r"['\u2019]s?$")


@functools.lru_cache(maxsize=16384)  # a story's words recur in every sentence and heading
def lowered(word: str) -> str:
    return normalise(word).strip(".'")


def is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


# The first part of a compound whose head comes later ("Nexus-, Galaxy- and iPhone-level",
# "two- or three-day"): not a word of its own, and no name ("Galaxy" headed a review of
# another phone). The part is bounded (40 characters) and must start a word, so a long
# run of dots or apostrophes is read once, not once per character.
_SUSPENDED = re.compile(r"(?<![\w'\u2019&.-])[^\W\d_][\w'\u2019&.]{0,40}-(?=,|\s+(?:and|or|to)\b)")


def _sentence_tokens(text: str) -> Iterator[list[tuple[str, bool]]]:
    """Tokens of each punctuation-free chunk, each with whether it opens its sentence."""
    first = True
    text = _SUSPENDED.sub("", _TITLE_DOT.sub(r"\1", _NUMBERED.sub(" ", text)))
    for chunk in _CHUNK_BREAK.split(text):
        tokens = _TOKEN.findall(chunk)
        if tokens:
            yield [(t, first and i == 0) for i, t in enumerate(tokens)]
            first = False


def name_words(texts: Sequence[str]) -> set[str]:
    """Lower-cased words seen capitalised somewhere other than a sentence's start."""
    seen: set[str] = set()
    for text in texts:
        seen.update(_names_in(text))
    return seen - FUNCTION_WORDS - TIME_WORDS


@functools.lru_cache(maxsize=2048)  # as ``_name_runs``: sentences are read again and again
def _names_in(text: str) -> frozenset[str]:
    seen: set[str] = set()
    for tokens in _sentence_tokens(text):
        for token, opens in tokens:
            if is_acronym(token) or (_capitalised(token) and not opens):
                seen.add(lowered(_POSSESSIVE.sub("", token)))
    return frozenset(seen)


def is_known_name(tokens: Sequence[str], names: AbstractSet[str]) -> bool:
    """Whether every word of ``tokens`` is an acronym or one of ``names`` (words seen
    capitalised other than at a sentence's start, :func:`name_words`); a joiner may link
    them ("Bank of Arden")."""
    return all(
        is_acronym(t) or (low := lowered(t)) in names or (i > 0 and low in NAME_JOINERS)
        for i, t in enumerate(tokens)
    )


def name_runs(text: str, language: str | None = None) -> list[str]:
    """Runs of capitalised words ("Justice Marianne Cole", "Bank of Arden"), possessive cut.

    In a text of another ``language`` its stop words open no name either ("À Paris",
    "En Cataluña") and its weekdays and months are no names ("Montag")."""
    return list(_name_runs(text, _own_language(language)))


def _own_language(language: str | None) -> str:
    """``language`` (its primary subtag: "de-DE" is "de") when its words differ from
    English ones, else "" (one cache entry)."""
    primary = primary_language(language)
    return "" if not primary or stopwords(primary) is STOPWORDS else primary


def primary_language(language: str | None) -> str:
    """The primary subtag of a language code (``bot.core.locales.base_language``), "" for
    none; "de_AT" as "de-AT"."""
    return base_language((language or "").replace("_", "-"))


# Each heading of a summary reads every sentence of the story again, and so does each
# new version of it: the runs of the sentences in recent use are kept. A story's
# summary reads at most a few hundred sentences: a few stories' worth are enough, and
# each kept sentence costs every process that summarises about a kilobyte.
@functools.lru_cache(maxsize=2048)
def _name_runs(text: str, language: str = "") -> tuple[str, ...]:
    runs: list[str] = []
    # A language's own weekdays and months are no names where its sentences open, and
    # anywhere in German, which capitalises them; elsewhere they are written small, so a
    # capital one mid-sentence is a name (French "Mars", the planet).
    times = time_words(language or None)
    times_within = times if language in NOUN_CAPITALISING else TIME_WORDS
    openers = _openers(language)
    for tokens in _sentence_tokens(text):
        current: list[str] = []
        for token, opens in [*tokens, ("", False)]:
            low = lowered(token)
            # "Bank of Aldmoor" is one name; "Marianne Cole of the Supreme Court" is two.
            joins = (
                low in NAME_JOINERS and sum(lowered(w) not in NAME_JOINERS for w in current) == 1
            )
            is_name = (
                bool(token)
                and _capitalised(token)
                and low not in (times if opens else times_within)
            )
            if is_name and opens and low in openers:
                is_name = False
            if is_name or joins:
                current.append(_POSSESSIVE.sub("", token) if is_name else token)
                if is_name and _POSSESSIVE.search(token) and token[-2:] != "ss":
                    runs.append(" ".join(current))
                    current = []
                continue
            while current and lowered(current[-1]) in NAME_JOINERS:
                current.pop()
            if current:
                runs.append(" ".join(current))
            current = []
    return tuple(r for r in runs if r)


# Languages that capitalise every noun: there a capital says "noun" as often as "name".
NOUN_CAPITALISING = frozenset({"de", "lb"})
_ARTICLES = frozenset(
    wordlist(
        "der die das den dem des ein eine einen einem einer eines kein keine keinen keinem "
        "keiner keines im am zum zur vom beim ins ans"
    )
)


def common_nouns(texts: Sequence[str], language: str | None) -> frozenset[str]:
    """Capitalised words that ``texts`` of a noun-capitalising ``language`` show to be
    common nouns: right after an article or a number ("der Streik", "80 Prozent").
    A name rarely stands there ("in Berlin", "Weselsky sagte"). Empty in other languages."""
    language = primary_language(language)
    if language not in NOUN_CAPITALISING:
        return frozenset()
    seen: set[str] = set()
    for text in texts:
        for tokens in _sentence_tokens(text):
            previous = ""
            for token, _ in tokens:
                low = lowered(token)
                # Countries and acronyms take articles too: "die Ukraine", "die EU".
                if (
                    _capitalised(token)
                    and (previous in _ARTICLES or previous[:1].isdigit())
                    and not is_acronym(token)
                    and not places_named((low,), language)
                ):
                    seen.add(low)
                previous = low
    return frozenset(seen)


# Capitalised sentence openers that are ordinary words, not the start of a name.
_COMMON_OPENERS = FUNCTION_WORDS | STOPWORDS | ADVERBS | VERBS | ADJECTIVES


@functools.cache
def _openers(language: str) -> frozenset[str]:
    """``_COMMON_OPENERS`` and the stop words of ``language`` ("" for English): made once
    per language, not once per sentence."""
    return _COMMON_OPENERS | stopwords(language) if language else _COMMON_OPENERS


def noun_phrases(text: str) -> list[tuple[str, bool]]:
    """Noun phrases (adjectives or nouns, then a noun) of up to three words, with whether a
    determiner introduced them ("the vote count" is likelier a phrase than "failed months")."""
    out: list[tuple[str, bool]] = []
    for tokens in _sentence_tokens(text):
        run: list[str] = []
        introduced = False
        previous = ""
        for token, opens in [*tokens, ("", False)]:
            low = lowered(token)
            # Capitalised words belong to names (found apart), except a sentence's first.
            common = opens or is_acronym(token) or not _capitalised(token)
            if token and common and _phrase_word(low):
                if not run:
                    introduced = previous in _DETERMINERS
                run.append(token if is_acronym(token) else low)
                continue
            run = run[-3:]
            while run and not ends_phrase(lowered(run[-1])):
                run.pop()
            while run and bad_start(lowered(run[0])):
                run.pop(0)
            if run:
                out.append((" ".join(run), introduced))
            run = []
            if not low[:1].isdigit():  # "the 2020 election" is introduced by "the"
                previous = low
    return out


_DETERMINERS = frozenset(wordlist("the a an its their his her our this these that those"))


def _phrase_word(low: str) -> bool:
    return (
        low.isalpha()
        and len(low) > 2
        and low not in FUNCTION_WORDS
        and low not in STOPWORDS
        and low not in ADVERBS
        and low not in TIME_WORDS
        and not ((low in VERBS or is_verb_form(low)) and low not in HEAD_NOUNS)
    )


def ends_phrase(low: str) -> bool:
    """A word that can close a noun phrase: a noun, as far as the lists can tell."""
    if low in HEAD_NOUNS:
        return True
    return not (
        low in ADJECTIVES
        or low in ADVERBS
        or low in VERBS
        or low in FUNCTION_WORDS
        or low in STOPWORDS
        or low in TIME_WORDS
        or is_verb_form(low)
        or is_adjective_form(low)
        or low.endswith("ly")
    )


def bad_start(low: str) -> bool:
    return (
        low in VERBS
        or low in ADVERBS
        or low in BAD_STARTS
        or low.endswith("ly")
        or (is_verb_form(low) and low not in HEAD_NOUNS)
    )


# A kind of news outlet just before a name: the name is where the words were printed or
# aired ("he told Argentine paper La Nacion", "the news agency Tass"). A bare "network",
# "website" or "agency" is not enough: "the social network Facebook", "the space agency
# NASA" are what a story is about. Nor is a credit ("according to ...", "told ..."),
# which names officials as often as outlets.
_OUTLET_NOUN = re.compile(
    r"(?i)\b(?:newspaper|paper|daily|weekly|tabloid|broadcaster|magazine|wire service"
    r"|(?:news|media|state|tv|television|radio) (?:agency|website|site|channel|network"
    r"|outlet|service|station))\s+"
)
# A text that names more outlets than this is not a quote's credit: the rule stands aside.
_MOST_OUTLETS = 8


def named_as_outlet(name: str, text: str) -> bool:
    """Whether ``name`` stands in ``text`` only as the outlet that printed or aired the
    words ("he told Argentine paper La Nacion"): the sentence is not about it."""
    after = _after_outlet_nouns(text)
    if not after:
        return False
    credited = sum(text.startswith(name, at) for at in after)
    # Every mention is one of these (a longer word containing it counts against).
    return credited > 0 and credited >= text.count(name)


@functools.lru_cache(maxsize=2048)  # asked for every name run of the sentence
def _after_outlet_nouns(text: str) -> tuple[int, ...]:
    """Where a name may start right after a kind of outlet; () past ``_MOST_OUTLETS``."""
    found: list[int] = []
    for m in _OUTLET_NOUN.finditer(text):
        found.append(m.end())
        if len(found) > _MOST_OUTLETS:
            return ()
    return tuple(found)


# A clause that denies something of a name is not about it: "Kepler-1647b doesn't sport
# Tatooine's desert climate or a bunch of Jedi, but it does orbit two suns" headed its
# section "Jedi". Denied is only what a thing has or shows ("doesn't sport", "has no
# ..."), up to the next punctuation mark, and the one word after "no" or "without"
# ("no Jedi"). A denied wish, act or state is still about its object ("he doesn't want
# Supreme Court consideration", "had never discussed airstrikes with Iran", "all no votes
# came from Republicans").
_LACKS = re.compile(
    r"(?i)(?:\b(?:not|never)|n['\u2019]t)(?:\s+(?:even|really|ever|yet|actually))?\s+"
    r"(?:have|has|had|sport|sports|feature|features|include|includes|contain|contains"
    r"|boast|boasts)\b"
)
_NONE = re.compile(r"(?i)\b(?:no|without)\s+\S+")
_CLAUSE_END = re.compile(r"[,;:.!?()\u2013\u2014]")
# A denial is a clause of a sentence, not a paragraph.
_DENIAL_REACH = 120
# Past this many negations (or mentions of one name) the rule stands aside: a denial
# is a clause or two of a sentence, and hostile text must stay linear.
_MOST_DENIALS = 8


def named_in_denial(name: str, text: str) -> bool:
    """Whether every mention of ``name`` in ``text`` lies in a clause that denies it.
    A name not found as written ("Gov Ron DeSantis" of "Gov. Ron DeSantis") is not."""
    spans = _denied_spans(text)
    at = text.find(name) if spans else -1
    if at < 0:
        return False
    for _ in range(_MOST_DENIALS):
        if at < 0:
            return True
        if not any(start <= at < end for start, end in spans):
            return False
        at = text.find(name, at + len(name))
    return False


@functools.lru_cache(maxsize=2048)  # asked for every name run of the sentence
def _denied_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for m in _LACKS.finditer(text):
        end = _CLAUSE_END.search(text, m.end(), m.end() + _DENIAL_REACH)
        spans.append(
            (m.end(), min(len(text), m.end() + _DENIAL_REACH) if end is None else end.start())
        )
        if len(spans) > _MOST_DENIALS:
            return ()
    for m in _NONE.finditer(text):
        spans.append((m.start(), m.end()))
        if len(spans) > 2 * _MOST_DENIALS:
            return ()
    return tuple(spans)


def full_name(name: str, runs: Sequence[str]) -> str:
    """The longest of ``runs`` that ends with a lone ``name`` ("Tovey" -> "Graham Tovey")."""
    return completed(name, full_names(runs))


def completed(name: str, longest: Mapping[str, str]) -> str:
    """A lone ``name`` as the longest run it ends (``full_names``); a longer one as is."""
    return name if " " in name else longest.get(name, name)


def full_names(runs: Sequence[str]) -> dict[str, str]:
    """For each last word of ``runs``, the longest run it ends (as ``full_name`` gives it),
    read once for all the names of a section: asked name by name, a long hostile text
    made it quadratic."""
    longest: dict[str, str] = {}
    for r in runs:
        if " " not in r or " and " in r:
            continue
        count = len(r.split())
        if count > MAX_WORDS:
            continue
        last = r.rsplit(" ", 1)[1]
        held = longest.get(last)
        if held is None or (count, r) > (len(held.split()), held):
            longest[last] = r
    return longest

"""Topic queries for ``/subscribe <topic>``: parsing and matching stories.

Syntax: words (``iraq``), quoted phrases (``"al asad"``), ``OR`` between alternatives,
``-word`` or ``-"a phrase"`` to exclude, ``*`` for every story; options ``--breaking`` (only
breaking stories), ``--outlets N`` (at least N independent outlets, default 2) and
``--only-ours`` (the chat's own feeds, not the operator's). Words
next to each other must all match; ``OR`` binds tighter, so ``a OR b c`` means (a or b)
and c. Matching ignores case and simple inflections (``iraq`` matches "Iraqi"), stems in
the story's language too, and a term that names a place or a language matches its names
in the story's language (``bot.text.place_names``: "العراق", "Ирак", "伊拉克").

A term matches a story when it is in the headline or an article title, or when the
article texts carry it strongly enough: one passing mention in one body is not enough.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.errors import CommandError
from bot.text.language import UNKNOWN
from bot.text.occurrences import Pattern, TokenIndex, exact
from bot.text.place_names import Alias, place_aliases, places_named
from bot.text.terms import stem, stemmer_language, stems, words

MAX_QUERY_CHARS = 200
MAX_TERMS = 20
MAX_OUTLETS = 50
DEFAULT_MIN_OUTLETS = 2
LEAD_WORDS = 60  # the opening of an article: a mention there is not a passing one

SYNTAX_HELP = (
    'Use words, "quoted phrases", OR, and -exclusions, '
    'e.g. /subscribe "al asad" OR baghdad -football '
    "(options: --breaking, --outlets N, --only-ours)."
)

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # phones turn "--" into a dash
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb", "\u201d": "\u201d"}


@dataclass(frozen=True, slots=True)
class StoryText:
    """What matching reads of a story. ``languages``: each article's (BCP 47, aligned with
    ``titles`` and ``texts``); a text of an unknown language is matched as typed only."""

    headline: str
    titles: Sequence[str]
    texts: Sequence[str]
    languages: Sequence[str] = ()
    headline_language: str = UNKNOWN


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase as typed (``display``) and as matched (``stems``)."""

    display: str
    stems: tuple[str, ...]
    phrase: bool

    def __str__(self) -> str:
        return f'"{self.display}"' if self.phrase else self.display


@dataclass(frozen=True, slots=True)
class TopicQuery:
    """A parsed topic: all ``groups`` must match (each group is alternatives), no exclusion."""

    groups: tuple[tuple[Term, ...], ...] = ()
    exclusions: tuple[Term, ...] = ()
    everything: bool = False
    breaking_only: bool = False
    min_outlets: int = DEFAULT_MIN_OUTLETS
    only_ours: bool = False  # the chat's own feeds only, not the operator's

    def __str__(self) -> str:
        parts = ["*"] if self.everything else [" OR ".join(map(str, g)) for g in self.groups]
        parts += [f"-{t}" for t in self.exclusions]
        if self.breaking_only:
            parts.append("--breaking")
        if self.min_outlets != DEFAULT_MIN_OUTLETS:
            parts.append(f"--outlets {self.min_outlets}")
        if self.only_ours:
            parts.append("--only-ours")
        return " ".join(parts)


def _fail(reason: str) -> CommandError:
    return CommandError(f"I couldn't read that topic: {reason}. {SYNTAX_HELP}")


def _tokenise(text: str) -> list[tuple[str, bool]]:
    """Split into (token, quoted) pairs, keeping a leading ``-`` on quoted phrases."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = ch in _DASHES and i + 1 < n and text[i + 1] in _QUOTES
        q = i + 1 if negated else i
        if text[q] in _QUOTES:
            close = _QUOTES[text[q]]
            end = text.find(close, q + 1)
            if end < 0:
                raise _fail("unclosed quote")
            out.append((("-" if negated else "") + text[q + 1 : end], True))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _QUOTES:
            j += 1
        out.append((text[i:j], False))
        i = j
    return out


def _term(raw: str, phrase: bool) -> Term:
    toks = words(raw)
    if not toks:
        shown = raw.strip() or "an empty phrase"
        raise _fail(f"{shown!r} has no letters or digits" if raw.strip() else shown)
    # A lone word "or" is shown quoted so that the display form never reads as the operator.
    quoted = phrase or len(toks) > 1 or toks == ["or"]
    return Term(" ".join(toks), tuple(stems(" ".join(toks))), quoted)


def parse_topic(text: str) -> TopicQuery:
    """Parse what a person typed after ``/subscribe``. Raises ``CommandError`` if unreadable."""
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise _fail("it contains control characters")
    if len(text) > MAX_QUERY_CHARS:
        raise _fail(f"it is longer than {MAX_QUERY_CHARS} characters")
    if not text.strip():
        raise _fail("it is empty")
    tokens = _tokenise(text)
    groups: list[list[Term]] = []
    exclusions: list[Term] = []
    everything = breaking_only = only_ours = False
    min_outlets = DEFAULT_MIN_OUTLETS
    pending_or = False
    i = 0
    while i < len(tokens):
        tok, quoted = tokens[i]
        i += 1
        option = None if quoted else _option_name(tok)
        if option is not None:
            if pending_or:
                raise _fail("OR must stand between two words")
            name, _, value = option.partition("=")
            if name == "breaking" and not value:
                breaking_only = True
            elif name == "only-ours" and not value:
                only_ours = True
            elif name in ("outlets", "min-outlets"):
                if not value:
                    if i >= len(tokens) or tokens[i][1]:
                        raise _fail("--outlets needs a number, e.g. --outlets 3")
                    value = tokens[i][0]
                    i += 1
                if not value.isdigit() or not 1 <= int(value) <= MAX_OUTLETS:
                    raise _fail(f"--outlets needs a number from 1 to {MAX_OUTLETS}")
                min_outlets = int(value)
            else:
                raise _fail(f"unknown option --{name}")
            continue
        if not quoted and tok.upper() == "OR":
            if pending_or or not groups:
                raise _fail("OR must stand between two words")
            pending_or = True
            continue
        if not quoted and tok == "*":
            if pending_or:
                raise _fail("* stands alone, not after OR")
            everything = True
            continue
        negated = (tok[:1] in _DASHES) and len(tok) > 1
        if negated:
            if pending_or:
                raise _fail("an -exclusion cannot follow OR")
            exclusions.append(_term(tok[1:], quoted))
            continue
        term = _term(tok, quoted)
        if pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    if pending_or:
        raise _fail("OR must stand between two words")
    if everything and groups:
        raise _fail("* means every story, so it goes alone (exclusions and options may follow)")
    if not everything and not groups:
        raise _fail("add at least one word to look for")
    if sum(len(g) for g in groups) + len(exclusions) > MAX_TERMS:
        raise _fail(f"use at most {MAX_TERMS} words and phrases")
    return TopicQuery(
        groups=tuple(tuple(g) for g in groups),
        exclusions=tuple(exclusions),
        everything=everything,
        breaking_only=breaking_only,
        min_outlets=min_outlets,
        only_ours=only_ours,
    )


def _option_name(tok: str) -> str | None:
    """``--name`` (or a phone's em-dash form) -> ``name``; anything else -> None."""
    if tok.startswith("--"):
        body = tok[2:]
    elif tok[:1] in _DASHES[1:] and len(tok) > 1 and tok[1].isalpha():
        body = tok[1:]  # "—breaking": only a long dash can be an option, "-x" excludes
    else:
        return None
    return body.lower() if body else None


# ---------------------------------------------------------------- matching


MAX_BODY_CHARS = 20_000  # matching reads this much of each article body


@dataclass(frozen=True, slots=True)
class PreparedText:
    """One headline, title or body, indexed: its stems as topics are stemmed (the light
    English stemmer), its stems in its own language, and its words (for the forms of
    place names that stemming misses)."""

    language: str
    stems: TokenIndex
    native: TokenIndex  # ``stems`` itself when the language has no stemmer of its own
    words: TokenIndex


@dataclass(frozen=True, slots=True)
class PreparedStory:
    """A story's texts indexed once, to test against many subscriptions."""

    headline: PreparedText
    titles: tuple[PreparedText, ...]
    texts: tuple[PreparedText, ...]
    support: dict[tuple[Term, str | None], tuple[bool, int, int]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _base_language(tag: str) -> str:
    return tag.split("-", maxsplit=1)[0].lower() or UNKNOWN


def prepare_text(text: str, language: str = UNKNOWN) -> PreparedText:
    lang = _base_language(language)
    toks = words(text)
    plain = TokenIndex([stem(w) for w in toks])
    stemmer = stemmer_language(lang)
    native = TokenIndex([stem(w, stemmer) for w in toks]) if stemmer else plain
    return PreparedText(lang, plain, native, TokenIndex(toks))


def prepare_story(story: StoryText) -> PreparedStory:
    langs = tuple(story.languages)

    def lang(i: int) -> str:
        return langs[i] if i < len(langs) else UNKNOWN

    return PreparedStory(
        headline=prepare_text(story.headline, story.headline_language),
        titles=tuple(prepare_text(t, lang(i)) for i, t in enumerate(story.titles)),
        texts=tuple(prepare_text(t[:MAX_BODY_CHARS], lang(i)) for i, t in enumerate(story.texts)),
    )


_STEMS, _NATIVE, _WORDS = 0, 1, 2  # which of a PreparedText's indexes a probe reads
_Probe = tuple[int, Pattern, tuple[tuple[int, Alias], ...]]


@functools.lru_cache(maxsize=32768)
def _probes(term: Term, lang: str, language: str | None) -> tuple[_Probe, ...]:
    """What to look for in a text of ``lang``: the term as typed, stemmed as topics are
    and in ``lang``; then the names in ``lang`` of the place it names, if any (each with
    the longer names of other places an occurrence must not be part of)."""
    probes: list[_Probe] = [(_STEMS, exact(term.stems), ())]
    stemmer = stemmer_language(lang)
    places = sorted(places_named(tuple(term.display.split(" ")), language))
    if stemmer and not places:
        # A place's names in ``lang`` stand in for this: "guinea" stemmed as French
        # would meet "Guinée" inside "Guinée équatoriale", which its aliases know better.
        native = exact([stem(w, stemmer) for w in term.display.split(" ")])
        probes.append((_NATIVE, native, ()))
    for place in places:
        for alias in place_aliases(place, lang):
            probes.append((_NATIVE if stemmer else _STEMS, alias.stems, alias.blockers))
            if alias.forms is not None:
                probes.append((_WORDS, alias.forms, alias.blockers))
    return tuple(dict.fromkeys(probes))


def _alias_at(alias: Alias, text: PreparedText, i: int) -> bool:
    return text.native.at(alias.stems, i) or (
        alias.forms is not None and text.words.at(alias.forms, i)
    )


def _hits(term: Term, text: PreparedText, language: str | None) -> set[int]:
    """Where the term stands in the text: as typed (stemmed as topics are, and in the
    text's language) or as a name, in the text's language, of the place it names."""
    indexes = (text.stems, text.native, text.words)
    found: set[int] = set()
    for kind, pattern, blockers in _probes(term, text.language, language):
        starts = indexes[kind].find(pattern)
        if blockers and starts:
            starts = [
                i
                for i in starts
                if not any(_alias_at(other, text, i - off) for off, other in blockers)
            ]
        found.update(starts)
    return found


def _support(term: Term, story: PreparedStory, language: str | None) -> tuple[bool, int, int]:
    """(in the headline or a title, bodies that mention it, bodies that mention it
    strongly: twice or in the lead). Remembered per story: subscriptions share terms."""
    key = (term, language)
    known = story.support.get(key)
    if known is None:
        in_titles = any(_hits(term, t, language) for t in (story.headline, *story.titles))
        mentioned = strong = 0
        for body in story.texts:
            hits = _hits(term, body, language)
            if hits:
                mentioned += 1
                if len(hits) >= 2 or min(hits) < LEAD_WORDS:
                    strong += 1
        known = story.support[key] = (in_titles, mentioned, strong)
    return known


def _matches(term: Term, story: PreparedStory, language: str | None) -> bool:
    in_titles, mentioned, strong = _support(term, story, language)
    if in_titles:
        return True
    n = len(story.texts)
    if n <= 1:
        return strong >= 1
    # Two bodies carrying it (one of them strongly), or most of them mentioning it.
    return (strong >= 1 and mentioned >= 2) or 2 * mentioned > n


def _vetoes(term: Term, story: PreparedStory, language: str | None) -> bool:
    in_titles, _, strong = _support(term, story, language)
    return in_titles or (strong >= 1 and 2 * strong >= len(story.texts))


def topic_matches(
    query: TopicQuery, story: StoryText | PreparedStory, language: str | None = None
) -> bool:
    """Whether the story is about the topic (options like --breaking are checked elsewhere).

    ``language``: the subscription's (BCP 47), whose names of places are understood too
    ("irak" in a German chat is Iraq everywhere). Pass a :func:`prepare_story` result
    when testing one story against many topics.
    """
    prepared = story if isinstance(story, PreparedStory) else prepare_story(story)
    lang = _base_language(language) if language else None
    if any(_vetoes(t, prepared, lang) for t in query.exclusions):
        return False
    if query.everything:
        return True
    return all(any(_matches(t, prepared, lang) for t in group) for group in query.groups)

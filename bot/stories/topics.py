"""Topic queries for ``/subscribe <topic>``: parsing and matching stories.

Syntax: words (``iraq``), quoted phrases (``"al asad"``), ``OR`` between alternatives,
``-word`` or ``-"a phrase"`` to exclude, ``*`` for every story; options ``--breaking`` (only
breaking stories), ``--outlets N`` (at least N independent outlets, default 2) and
``--only-ours`` (the chat's own feeds, not the operator's). Words
next to each other must all match; ``OR`` binds tighter, so ``a OR b c`` means (a or b)
and c. Matching ignores case and simple inflections (``iraq`` matches "Iraqi").

A term matches a story when it is in the headline or an article title, or when the
article texts carry it strongly enough: one passing mention in one body is not enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import CommandError
from bot.text.terms import stems, words

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
    headline: str
    titles: Sequence[str]
    texts: Sequence[str]


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
class PreparedStory:
    """A story's words reduced to stems once, to test against many subscriptions."""

    headline: tuple[str, ...]
    titles: tuple[tuple[str, ...], ...]
    texts: tuple[tuple[str, ...], ...]


def prepare_story(story: StoryText) -> PreparedStory:
    return PreparedStory(
        headline=tuple(stems(story.headline)),
        titles=tuple(tuple(stems(t)) for t in story.titles),
        texts=tuple(tuple(stems(t[:MAX_BODY_CHARS])) for t in story.texts),
    )


def _count(seq: tuple[str, ...], needle: tuple[str, ...]) -> tuple[int, int]:
    """(occurrences, position of the first or -1) of the stem sequence ``needle``."""
    n = len(needle)
    count, first = 0, -1
    head = needle[0]
    for i, s in enumerate(seq):
        if s == head and seq[i : i + n] == needle:
            count += 1
            if first < 0:
                first = i
    return count, first


def _in_titles(term: Term, story: PreparedStory) -> bool:
    return any(_count(t, term.stems)[0] for t in (story.headline, *story.titles))


def _body_support(term: Term, story: PreparedStory) -> tuple[int, int]:
    """(bodies that mention it, bodies that mention it strongly: twice or in the lead)."""
    mentioned = strong = 0
    for body in story.texts:
        count, first = _count(body, term.stems)
        if count:
            mentioned += 1
            if count >= 2 or first < LEAD_WORDS:
                strong += 1
    return mentioned, strong


def _matches(term: Term, story: PreparedStory) -> bool:
    if _in_titles(term, story):
        return True
    mentioned, strong = _body_support(term, story)
    n = len(story.texts)
    if n <= 1:
        return strong >= 1
    # Two bodies carrying it (one of them strongly), or most of them mentioning it.
    return (strong >= 1 and mentioned >= 2) or 2 * mentioned > n


def _vetoes(term: Term, story: PreparedStory) -> bool:
    if _in_titles(term, story):
        return True
    _, strong = _body_support(term, story)
    return strong >= 1 and 2 * strong >= len(story.texts)


def topic_matches(query: TopicQuery, story: StoryText | PreparedStory) -> bool:
    """Whether the story is about the topic (options like --breaking are checked elsewhere).

    Pass a :func:`prepare_story` result when testing one story against many topics.
    """
    prepared = story if isinstance(story, PreparedStory) else prepare_story(story)
    if any(_vetoes(t, prepared) for t in query.exclusions):
        return False
    if query.everything:
        return True
    return all(any(_matches(t, prepared) for t in group) for group in query.groups)

"""Section headings that read like an editor wrote them, and the rules they must pass.

A heading is a proper name the section is about ("Westmark Railways", "Graham Tovey"),
a short noun phrase from its sentences ("Monetary policy"), or a topical noun when the
sentences are about that ("Casualties", "Court ruling"). Without a tagger the parts of
speech come from small word lists and suffixes; every candidate goes through
:func:`heading_problems`, so a fragment such as "Supply enough" is never shown even
when the guess about a word is wrong: the next candidate is used instead.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from bot.text.demonyms import is_demonym
from bot.text.headwords import (
    FALLBACKS,
    FUNCTION_WORDS,
    HEAD_NOUNS,
    JUDGING,
    NAME_JOINERS,
    TIME_WORDS,
    TITLES,
    TOPICAL_NOUNS,
    TOPICS,
    time_words,
)
from bot.text.name_roles import address_names, clock_zone, credited_agency, listed_apart
from bot.text.phrases import (
    MAX_WORDS,
    bad_start,
    common_nouns,
    completed,
    ends_phrase,
    full_names,
    is_known_name,
    lowered,
    name_runs,
    name_words,
    named_as_outlet,
    named_in_denial,
    noun_phrases,
    primary_language,
)
from bot.text.place_names import english_names, is_language, places_named
from bot.text.script_headings import (
    derive_script_heading,
    needs_script_heading,
    script_heading_problems,
)
from bot.text.sentences import wordlist
from bot.text.terms import STOPWORDS, content_words, normalise, stem


def heading_problems(
    heading: str, texts: Sequence[str] = (), language: str | None = None
) -> list[str]:
    """Why ``heading`` is not a good heading for sections about ``texts`` (empty: it is).

    A heading is 1 to 4 words: a proper name (words capitalised mid-sentence in
    ``texts``, or acronyms), a topical heading, or a noun phrase whose last word is a
    noun and whose first is not a verb form or an adverb. A lone common word must be a
    topical noun; a lone surname must not stand for a full name in ``texts``. In a
    ``language`` that capitalises nouns, a noun that ``texts`` show as one is no name.
    """
    tokens = heading.split()
    if not tokens:
        return ["empty"]
    if heading in FALLBACKS or heading in TOPICS.values() or heading == QUOTES_HEADING:
        return []
    if needs_script_heading([heading]):
        return script_heading_problems(heading, texts)
    return _problems(
        heading,
        name_words(texts),
        full_names([r for t in texts for r in name_runs(t, language)]),
        common_nouns(texts, language),
    )


def _problems(
    heading: str, names: set[str], longest: dict[str, str], nouns: frozenset[str] = frozenset()
) -> list[str]:
    tokens = heading.split()
    problems: list[str] = []
    if len(tokens) > MAX_WORDS:
        problems.append("too long")
    if re.fullmatch(r"(?i)section\s*\d+", heading):
        problems.append("numbered placeholder")
    lows = [lowered(t) for t in tokens]
    is_name = is_known_name(tokens, names)
    if lows[-1] in FUNCTION_WORDS or lows[-1] in STOPWORDS or lows[-1] in NAME_JOINERS:
        problems.append("ends with a function word")
    if lows[0] in FUNCTION_WORDS - {"the"}:
        problems.append("starts with a function word")
    if all(low in TIME_WORDS or low in STOPWORDS for low in lows):
        problems.append("only time or function words")
    if len(tokens) == 1 and is_place_adjective(lows[0]):
        problems.append("a place's adjective, not a name")
    if is_name:
        if len(tokens) == 1 and tokens[0] in longest:
            problems.append("surname without the full name")
        # A run of capitals is a name ("die Deutsche Bahn"); a lone one may be any noun.
        if len(tokens) == 1 and lows[0] in nouns:
            problems.append("capitalised as a noun, not as a name")
        return problems
    if not ends_phrase(lows[-1]):
        problems.append("ends with a verb, adverb or adjective")
    if bad_start(lows[0]):
        problems.append("starts with a verb form or adverb")
    if len(tokens) > 1 and (lows[0] in JUDGING or lows[-1] in JUDGING):
        problems.append("a judging adjective names nothing")
    if len(tokens) > 1 and lows[0] in _WHEN_ADJECTIVES:
        problems.append("says when, not what")  # "Recent report", "Latest figures"
    if len(tokens) == 1 and lows[0] not in TOPICAL_NOUNS:
        problems.append("lone word that is neither a name nor a topical noun")
    return problems


_WHEN_ADJECTIVES = frozenset(
    wordlist("recent latest new newest previous earlier later other more further additional")
)


def is_good_heading(heading: str, texts: Sequence[str] = (), language: str | None = None) -> bool:
    return not heading_problems(heading, texts, language)


def topic_headings(texts: Sequence[str]) -> list[tuple[str, float]]:
    """Topical headings whose trigger words the sentences use, with the share that do."""
    bags = [
        set(content_words(t)) | set(_bigrams(t)) | ({"deaths"} if _MANY_DEAD.search(t) else set())
        for t in texts
    ]
    out: list[tuple[str, float]] = []
    for triggers, heading in TOPICS.items():
        hits = sum(1 for bag in bags if bag & triggers)
        if hits:
            out.append((heading, hits / len(bags)))
    quoted = sum(1 for t in texts if _QUOTE.search(t))
    if quoted:
        out.append((QUOTES_HEADING, 0.5 * quoted / len(texts)))
    return out


# Victims in the plural: "two people have died", "at least 12 died", "the 49 dead".
_MANY_DEAD = re.compile(
    r"(?i)\b(?:\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten|dozens|scores|hundreds"
    r"|thousands|several|many|people|residents|passengers|civilians|soldiers|children"
    r"|workers|victims|others)(?:\s+\S+){0,3}?\s+(?:(?:have|had|were|are)\s+)?(?:died|dead)\b"
)
QUOTES_HEADING = "In their words"
_QUOTE = re.compile(r"[\"\u201c\u201d].{12,}[\"\u201c\u201d]|^[\"\u201c]")


def _bigrams(text: str) -> list[str]:
    ws = [w for w in normalise(text).split() if w.isalpha()]
    return [f"{a} {b}" for a, b in itertools.pairwise(ws)]


# Nouns that name an institution or a place kind: "Interior ministry", "Local mosque".
INSTITUTION_NOUNS = frozenset(
    wordlist(
        "ministry ministries government police court courts council army military navy "
        "parliament congress senate committee commission party union company companies "
        "board agency agencies department office embassy mosque church temple school "
        "schools university hospital hospitals airport port prison station bank banks "
        "city village town district province region border camp camps club league "
        "federation association authority authorities regulator tribunal assembly "
        "session summit talks deal agreement treaty election elections referendum trial "
        "inquiry hearing match final race tournament rights ban attack attacks shooting "
        "victims fans violence protest protests ceasefire economy emissions prices jobs "
        "ransom fines penalty sentence verdict trial rally march"
    )
)


def names_a_subject(phrase: str) -> bool:
    """Whether a common-noun phrase can head a section: its head noun names a sub-event,
    an institution or a place kind. "Cold balls", "Great length" and "Necessary part"
    say nothing a reader can scan for; names need no such test."""
    words = normalise(phrase).split()
    if not words:
        return False
    head = words[-1]
    return head in HEAD_NOUNS or head in TOPICAL_NOUNS or head in INSTITUTION_NOUNS


def derive_heading(
    texts: Sequence[str],
    idf: dict[str, float],
    *,
    avoid: set[str],
    headline: str = "",
    context: Sequence[str] = (),
    sources: Sequence[str] = (),
    language: str | None = None,
) -> str:
    """A heading for a group of sentences: the most salient candidate that passes the rules.

    Salience is frequency in the group times rarity in the story (``idf``), with a
    bonus for names and phrases; a candidate sharing a word with ``avoid`` (the other
    headings) is skipped so sections are told apart, and one the headline already says
    counts for less. ``context`` (the story's other sentences) only completes names
    ("Tovey" -> "Graham Tovey") and tells names from sentence-initial capitals.
    ``sources`` (outlets the reports credit, :func:`bot.text.sentences.title_sources`)
    head no section: a section is about what they report, not about them. ``language``
    (the story's) tells its stop words, weekdays and nouns from names.
    """
    language = primary_language(language) or None
    if needs_script_heading(texts):
        return derive_script_heading(
            texts,
            avoid=avoid,
            headline=headline,
            context=context,
            sources=sources,
            language=language,
        )
    evidence = [*texts, *context]
    names = name_words(evidence)
    runs = [r for t in dict.fromkeys(evidence) for r in name_runs(t, language)]
    longest = full_names(runs)
    # How often the story names each run, and each full name's last word on its own.
    seen = Counter(runs)
    seen.update(longest.keys())
    nouns = common_nouns(evidence, language)
    times = time_words(language)
    said = set(content_words(headline))
    scores: dict[str, float] = {}
    shown: dict[str, str] = {}

    avoided = {stem(w) for w in avoid}
    credited = {normalise(s) for s in sources}

    def add(phrase: str, value: float, rarity: float | None = None) -> None:
        if normalise(phrase) in credited:
            return
        key_words = [w for w in content_words(phrase) if w not in times]
        # Stems, so "Philippine" and "Philippines" do not head two sections.
        if not key_words or {stem(w) for w in key_words} & avoided:
            return
        key = " ".join(key_words)
        if rarity is None:
            rarity = sum(idf.get(w, 1.0) for w in key_words) / len(key_words)
        news = 0.6 if set(key_words) <= said else 1.0
        scores[key] = scores.get(key, 0.0) + value * rarity * news
        shown.setdefault(key, phrase)

    for rank, text in enumerate(texts):
        weight = 1.0 / (1 + 0.3 * rank)
        addresses = address_names(text, said)
        for run in listed_apart(name_runs(text, language), seen):
            if named_as_outlet(run, text) or named_in_denial(run, text) or run in addresses:
                continue
            if credited_agency(run, text) or clock_zone(run, text):
                continue
            name = _untitled(completed(_untitled(run), longest))
            if " " in name and lowered(name.rsplit(" ", 1)[1]) in _HELD_OFFICES:
                # "Nintendo of America President (and COO Reggie Fils-Aime)": an office
                # whose holder is named apart, or not at all.
                continue
            add(name, weight * (1.6 if " " in name else 1.2))
        for phrase, introduced in noun_phrases(text):
            if not names_a_subject(phrase):
                continue
            bonus = 1.3 if " " in phrase else 0.8
            add(phrase, weight * bonus * (1.2 if introduced else 1.0))
    typical = sorted(idf.values())[len(idf) // 2] if idf else 1.0
    for heading, share in topic_headings(texts):
        add(heading, TOPIC_WEIGHT * share * len(texts), typical)
    for key in sorted(scores, key=lambda k: (-scores[k], k)):
        phrase = shown[key]
        heading = phrase[0].upper() + phrase[1:]
        if heading in TOPICS.values() or heading == QUOTES_HEADING:
            return heading
        if not _problems(heading, names, longest, nouns):
            return heading
    # Nothing names what the section is about: better no heading (the caller merges or
    # drops the section) than filler such as "More details".
    return ""


def _untitled(name: str) -> str:
    """A name without the office before it ("Director Lena Hartwell" -> "Lena Hartwell",
    "Nintendo President Satoru Iwata" -> "Satoru Iwata")."""
    parts = name.split()
    # Inside a run only an office that is no one's name or an institution's: "Law and
    # Justice Party", "Next Gen Stats" and "Department of Justice" stay whole. The holder
    # follows the office directly: "Secretary of State John Kerry" is not cut either.
    offices = [
        i
        for i, p in enumerate(parts[:-1])
        if i > 0 and lowered(p) in _INNER_OFFICES and lowered(parts[i + 1]) not in NAME_JOINERS
    ]
    if offices:
        parts = parts[offices[-1] + 1 :]
    while (
        len(parts) > 1
        and lowered(parts[0]) in _LEADING_TITLES
        and lowered(parts[1]) not in NAME_JOINERS
    ):
        parts = parts[1:]
    return " ".join(parts)


# Titles before a name ("Justice Marianne Cole", "Dr Smith"). A party's adjective is not
# one: it opens names of its own ("Republican Party", "Democratic National Committee").
_LEADING_TITLES = TITLES - {"democratic", "republican"}
# Offices that end a run when their holder is named apart ("Nintendo of America
# President and COO Reggie Fils-Aime"): words that end no one's name ("Aaron Judge", "Hun
# Sen") and no institution's ("Department of Justice").
_HELD_OFFICES = frozenset(
    wordlist(
        "president minister secretary chairman chairwoman ceo coo cfo cto spokesman spokeswoman "
        "spokesperson governor senator director"
    )
)
# ... and inside a run, before the holder: also their short forms and "chief".
_INNER_OFFICES = _HELD_OFFICES | frozenset(wordlist("sen rep gov prof dr chief"))


TOPIC_WEIGHT = 1.0


def is_place_adjective(low: str) -> bool:
    """Whether a lone word is the adjective or language of a place ("Philippine",
    "Iraqi", "French") rather than its name ("Philippines", "Iraq"): alone it does not
    say what a section is about."""
    places = places_named((low,), "en")
    if not places:
        return is_demonym(low)  # "Mexican": CLDR has no adjectives of countries
    return not any(not is_language(p) and low in english_names(p) for p in places)

"""Grounding: every sentence of a summary must be supported by the sources it cites.

Checked in code on every LLM output (and on extractive output as a self-check), not
requested in a prompt. A sentence without a citation, with assistant chatter, with a
foreign link, or with a number, date, quote or name that none of its cited sources
contains (after :func:`bot.text.terms.normalise`, in any script) is dropped and counted
by reason; so is one whose claim no single cited article supports
(:mod:`bot.summaries.support`: content words, negations, evaluations, remarks to the
reader). A headline must be supported by the story's leading report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.core.domain import Article, DatedEvent, Section, Sentence, SourceRef, Summary
from bot.summaries.hygiene import (
    MD_LINK,
    QUOTED,
    is_chatter,
    is_injection,
    is_shouting,
    neutralise,
    normalise_quotes,
)
from bot.summaries.lead import lead_article
from bot.summaries.support import SourceText, idf_of, source_text, support_problem
from bot.text.language import UNKNOWN, detect_language
from bot.text.sentences import clean_text, clean_title, tidy, wordlist
from bot.text.terms import STOPWORDS, normalise, stem, stopwords, words

REASONS = (
    "uncited",
    "chatter",
    "tone",
    "injection",
    "foreign_link",
    "unsupported_number",
    "unsupported_date",
    "unsupported_quote",
    "unsupported_name",
    "reader",
    "question",
    "opinion",
    "unsupported_claim",
    "contradiction",
    "empty",
)

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MONTHS = wordlist(
    "january february march april june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
)
_MAY_DATE = re.compile(r"\bmay \d{1,2}\b|\b\d{1,2} may\b")
# A capitalised word in any cased script (Latin, Cyrillic, Greek, ...).
_NAME = re.compile(r"[^\W\d_][\w'\u2019.&-]*")
_CITE_MARK = re.compile(r"\s*\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "dozen": "12", "hundred": "100", "thousand": "1000", "million": "1000000",
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5",
}  # fmt: skip


def number_sources(articles: Sequence[Article]) -> tuple[SourceRef, ...]:
    """Sources numbered 1..N in order of publication (ties by article id)."""
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    return tuple(
        SourceRef(
            number=i,
            outlet=neutralise(a.outlet),
            title=neutralise(clean_title(a.title, a.outlet)),
            url=a.url,
            published=a.published,
            article_id=a.id,
        )
        for i, a in enumerate(ordered, start=1)
    )


def ordered_articles(articles: Sequence[Article]) -> list[Article]:
    """Articles in source-number order."""
    return sorted(articles, key=lambda a: (a.published, a.id))


def split_cite_marks(text: str) -> tuple[str, tuple[int, ...]]:
    """Inline ``[1][2]`` / ``[1, 3]`` markers removed from text and returned as numbers."""
    found: list[int] = []
    for m in _CITE_MARK.finditer(text):
        found.extend(int(n) for n in re.split(r"\s*[,;]\s*", m.group(1)))
    return tidy(_CITE_MARK.sub("", text)), tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Evidence:
    """One source as the checks see it: normalised text, its numbers, name keys (words
    and their stems, any script) and its sentences for the support check."""

    text: str
    numbers: frozenset[str]
    keys: frozenset[str]
    support: SourceText


def _key(token: str) -> str:
    token = normalise(token)
    token = re.sub(r"'s$", "", token)
    return re.sub(r"[\W_]", "", token)


def article_language(article: Article) -> str:
    """The article's recorded language, detected when it was not recorded."""
    if article.language and article.language != UNKNOWN:
        return article.language
    return detect_language(article.title, article.text)


def build_evidence(article: Article) -> Evidence:
    lang = article_language(article)
    body = normalise(clean_title(article.title) + "\n" + clean_text(article.text))
    numbers = set(_NUMBER.findall(body))
    keys = {_key(t) for t in body.split()} | set(words(body))
    numbers.update(_NUMBER_WORDS[w] for w in keys if w in _NUMBER_WORDS)
    keys |= {stem(k, lang) for k in keys}
    # "2,000" may also be written "2 000" or "2k"; normalise() already removed commas.
    support = source_text(article.title, article.text, lang)
    return Evidence(body, frozenset(numbers), frozenset(k for k in keys if k), support)


def _supports_name(key: str, evidence: Iterable[Evidence]) -> bool:
    """The name, or an inflected form of it ("Путина" for "Путин"), is in a source."""
    variants = {key, key + "s", key.removesuffix("s"), key.removesuffix("es")}
    return any(
        v in ev.keys or stem(v, ev.support.language) in ev.keys for ev in evidence for v in variants
    )


def _names(text: str, *, nouns_capitalised: bool = False) -> list[str]:
    """Capitalised tokens that are probably names (not a lone sentence-initial word).

    Where every noun is capitalised (German), only runs of two or more capitalised words
    ("Helene Marsch") count, so a reworded noun is left to the support check."""
    unquoted = QUOTED.sub(" ", normalise_quotes(text))
    tokens = re.findall(r"\S+", unquoted)
    names: list[str] = []
    for i, raw in enumerate(tokens):
        tok = raw.strip("\"'([{,;:.!?)]}\u00ab\u00bb")
        if not _NAME.fullmatch(tok) or not tok[0].isupper():
            continue
        sentence_start = i == 0 or tokens[i - 1].endswith((".", ":", "!", "?", '"'))
        nxt = tokens[i + 1].strip("\"'([{,;:") if i + 1 < len(tokens) else ""
        if sentence_start and not (nxt[:1].isupper()):
            continue
        prev = "" if sentence_start else tokens[i - 1].strip("\"'([{")
        if nouns_capitalised and not (nxt[:1].isupper() or prev[:1].isupper()):
            continue
        key = _key(tok)
        if len(key) < 2 or key in STOPWORDS or key in _MONTHS or key == "may":
            continue
        if any(key in stopwords(lang) for lang in _CASED_STOP_LANGUAGES):
            continue
        names.append(key)
    return names


# Stop words that a sentence in these languages may capitalise (German nouns aside).
_CASED_STOP_LANGUAGES = ("de", "fr", "es", "ru")


def problem(
    text: str,
    cites: Sequence[int],
    evidence: dict[int, Evidence],
    *,
    min_words: int = 2,
    idf: dict[str, float] | None = None,
) -> str | None:
    """The reason ``text`` may not be published with ``cites``, or None when grounded.

    With ``idf`` (the story's word weights, :func:`bot.summaries.support.idf_of`) the
    claim itself must be supported too; without it only facts are checked (labels)."""
    if len(words(text)) < min_words:
        return "empty"
    if is_injection(text):
        return "injection"
    if is_chatter(text):
        return "chatter"
    if is_shouting(text):
        return "tone"
    cited = [evidence[c] for c in cites if c in evidence]
    if not cited:
        return "uncited"
    norm = normalise(text)
    for number in _NUMBER.findall(norm):
        if not any(number in ev.numbers for ev in cited):
            return "unsupported_number"
    for month in _MONTHS:
        if re.search(rf"\b{month}\b", norm) and not any(month in ev.text for ev in cited):
            return "unsupported_date"
    if _MAY_DATE.search(norm) and not any("may" in ev.keys for ev in cited):
        return "unsupported_date"
    for quote in QUOTED.findall(norm):
        core = quote.strip(" .,;:!?'")
        if core and not any(core in ev.text for ev in cited):
            return "unsupported_quote"
    for key in _names(text, nouns_capitalised=all(ev.support.language == "de" for ev in cited)):
        if not _supports_name(key, cited):
            return "unsupported_name"
    if idf is not None:
        return support_problem(text, [ev.support for ev in cited], idf)
    return None


@dataclass
class GroundingResult:
    """What survived grounding, and what was removed and why."""

    summary: Summary
    kept: int
    dropped: Counter[str] = field(default_factory=Counter)
    headline_ok: bool = True

    @property
    def sentence_count(self) -> int:
        return len(self.summary.lede) + sum(len(s.sentences) for s in self.summary.sections)


def _strip_links(text: str, allowed: frozenset[str]) -> str | None:
    """Text without the story's own links; None when a foreign link is present."""
    for m in MD_LINK.finditer(text):
        if m.group(2).rstrip(".,;:") not in allowed:
            return None
    text = MD_LINK.sub(lambda m: m.group(1), text)
    for url in _URL.findall(text):
        if url.rstrip(".,;:") not in allowed:
            return None
    return tidy(_URL.sub("", text))


class _Checker:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.sources = number_sources(articles)
        by_id = {a.id: a for a in articles}
        self.evidence = {s.number: build_evidence(by_id[s.article_id]) for s in self.sources}
        self.idf = idf_of(ev.support for ev in self.evidence.values())
        lead = lead_article(articles).id if articles else None
        self.lead = next((s.number for s in self.sources if s.article_id == lead), 0)
        self.allowed = frozenset(a.url for a in articles)
        self.dropped: Counter[str] = Counter()
        self.kept = 0

    def reason(self, text: str, cites: Sequence[int]) -> tuple[str | None, str]:
        stripped = _strip_links(text, self.allowed)
        if stripped is None:
            return "foreign_link", text
        clean = neutralise(stripped)
        valid = tuple(sorted({c for c in cites if c in self.evidence}))
        return problem(clean, valid, self.evidence, idf=self.idf), clean

    def sentence(self, s: Sentence) -> Sentence | None:
        text, marks = split_cite_marks(s.text)
        reason, clean = self.reason(text, tuple(s.cites) + marks)
        if reason is not None:
            self.dropped[reason] += 1
            return None
        self.kept += 1
        valid = tuple(sorted({c for c in (*s.cites, *marks) if c in self.evidence}))
        return Sentence(clean, valid)

    def sentences(self, items: Iterable[Sentence]) -> tuple[Sentence, ...]:
        return tuple(s for s in (self.sentence(x) for x in items) if s is not None)

    def label(self, text: str) -> str:
        """A heading or a date: its facts grounded in some source; "" when they are not."""
        stripped = _strip_links(text, self.allowed)
        if stripped is None:
            return ""
        clean = neutralise(split_cite_marks(stripped)[0]).rstrip(" .")
        ok = problem(clean, tuple(self.evidence), self.evidence, min_words=1) is None
        return clean if ok and clean else ""

    def headline(self, text: str) -> str:
        """A headline: checked like a sentence citing the leading report; "" when not."""
        stripped = _strip_links(text, self.allowed)
        if stripped is None:
            return ""
        clean = neutralise(split_cite_marks(stripped)[0]).rstrip(" .")
        ok = problem(clean, (self.lead,), self.evidence, min_words=1, idf=self.idf) is None
        return clean if ok and clean else ""


def ground(draft: Summary, articles: Sequence[Article]) -> GroundingResult:
    """Check every sentence of ``draft`` against the articles its cites point to.

    Sources are renumbered from ``articles`` (the draft's own sources are ignored, so
    only the story's links can ever appear). Empty sections are removed; a heading or
    headline that fails the checks becomes "" so the caller can derive one.
    """
    checker = _Checker(articles)
    lede = checker.sentences(draft.lede)
    sections: list[Section] = []
    for section in draft.sections:
        kept = checker.sentences(section.sentences)
        if kept:
            heading = checker.label(section.heading)
            words_ = heading.split()
            sections.append(Section(" ".join(words_[:8]), kept))
    facts = checker.sentences(draft.key_facts)
    events: list[DatedEvent] = []
    for event in draft.events:
        what = checker.sentence(event.what)
        when = checker.label(event.when)
        if what is not None and when:
            events.append(DatedEvent(when, what))
    headline = checker.headline(draft.headline)
    summary = replace(
        draft,
        headline=headline,
        lede=lede,
        sections=tuple(sections),
        key_facts=facts,
        events=tuple(events),
        sources=checker.sources,
        what_changed=checker.sentence(draft.what_changed) if draft.what_changed else None,
    )
    return GroundingResult(summary, checker.kept, checker.dropped, headline_ok=bool(headline))

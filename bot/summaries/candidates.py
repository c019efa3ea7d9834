"""Candidate sentences of an extractive summary: each usable sentence of a story's
articles once (cited by every article that says it), scored by centrality, coverage
and position, chosen greedily without repeats, grouped by topic into sections, and the
lede taken from the leading report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.domain import Article, Sentence
from bot.summaries.grounding import ordered_articles
from bot.summaries.hygiene import (
    is_chatter,
    is_injection,
    is_shouting,
    is_unattributed_quote,
    neutralise,
)
from bot.summaries.summary_config import SummaryConfig
from bot.text.entities import entities
from bot.text.sentences import article_sentences
from bot.text.terms import content_words, numbers, stem, words
from bot.text.vectors import Vector, centroid, cosine, idf_weights, tfidf

# How far into the leading report a lede may start (see ``lede_of_lead``).
LEDE_REACH = 4


@dataclass
class Candidate:
    text: str
    source: int  # the number of the first source that has the sentence
    position: int
    tokens: list[str]
    cites: set[int] = field(default_factory=set)
    bag: frozenset[str] = frozenset()
    vector: Vector = field(default_factory=dict)
    score: float = 0.0

    def sentence(self) -> Sentence:
        return Sentence(neutralise(self.text), tuple(sorted(self.cites)))


def collect_candidates(
    articles: Sequence[Article], *, duplicate: float, per_article: int
) -> list[Candidate]:
    """Every usable sentence once; near-duplicates across articles merge their cites.

    Only the first ``per_article`` usable sentences of each article count: news puts
    what matters first, and the scoring below is quadratic in the number of sentences.
    """
    found: list[Candidate] = []
    for number, article in enumerate(ordered_articles(articles), start=1):
        # Very short reports (one-line descriptions) may have nothing longer than a few
        # words; then those few words are all there is to say.
        sentences = article_sentences(article.text) or article_sentences(article.text, min_words=3)
        usable = [
            t
            for t in sentences
            # A columnist's "I", a shout or an instruction aimed at a model is no news;
            # nor is a quotation that names no speaker.
            if not (is_chatter(t) or is_injection(t) or is_shouting(t) or is_unattributed_quote(t))
        ]
        for position, text in enumerate(usable[:per_article]):
            tokens = content_words(text)
            bag = frozenset(tokens)
            twin = next(
                (c for c in found if c.source != number and _similar(c.bag, bag, duplicate)),
                None,
            )
            if twin is not None:
                twin.cites.add(number)
                continue
            if any(c.source == number and c.tokens == tokens for c in found):
                continue  # the same sentence twice in one article (feeds repeat ledes)
            found.append(Candidate(text, number, position, tokens, {number}, bag))
    return found


def _similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """Jaccard overlap of two word sets at least ``threshold`` (sizes checked first)."""
    if not a or not b or min(len(a), len(b)) < threshold * max(len(a), len(b)):
        return False
    shared = len(a & b)
    return shared >= threshold * (len(a) + len(b) - shared)


def _best_match_per_source(cands: Sequence[Candidate]) -> list[dict[int, float]]:
    """For each candidate, its highest cosine with any sentence of each other source.

    Computed through an inverted index, so only sentences sharing a word are compared.
    """
    postings: dict[str, list[tuple[int, float]]] = {}
    for j, c in enumerate(cands):
        for term, weight in c.vector.items():
            postings.setdefault(term, []).append((j, weight))
    best: list[dict[int, float]] = []
    for i, c in enumerate(cands):
        dots: dict[int, float] = {}
        for term, weight in c.vector.items():
            for j, other in postings[term]:
                if j != i:
                    dots[j] = dots.get(j, 0.0) + weight * other
        per_source: dict[int, float] = {}
        for j, dot in dots.items():
            source = cands[j].source
            if source not in c.cites and dot > per_source.get(source, 0.0):
                per_source[source] = dot
        best.append(per_source)
    return best


def score_candidates(cands: Sequence[Candidate], titles: Sequence[str]) -> dict[str, float]:
    """Set each candidate's vector and score; returns the idf used.

    Score = centrality (cosine with the whole story) + coverage (how closely the other
    outlets say the same, and how many say it verbatim) + closeness to the headlines +
    a small bonus for coming early in its article.
    """
    title_tokens = [content_words(t) for t in titles]
    idf = idf_weights([c.tokens for c in cands] + title_tokens)
    for c in cands:
        c.vector = tfidf(c.tokens, idf)
    story = centroid([c.vector for c in cands])
    title_vec = centroid([tfidf(t, idf) for t in title_tokens if t])
    sources = {c.source for c in cands}
    for c, matches in zip(cands, _best_match_per_source(cands), strict=True):
        others = [matches.get(s, 0.0) for s in sources if s not in c.cites]
        support = (sum(others) / len(others) if others else 0.0) + 0.25 * (len(c.cites) - 1)
        c.score = (
            cosine(c.vector, story)
            + 0.5 * support
            + 0.3 * cosine(c.vector, title_vec)
            + 0.25 / (1 + c.position)
        )
    return idf


def select(cands: Sequence[Candidate], config: SummaryConfig) -> list[Candidate]:
    """Greedy choice by score, skipping repeats, until the word budget is spent."""
    chosen: list[Candidate] = []
    budget = config.max_words
    pool = sorted(cands, key=lambda c: (-c.score, c.source, c.position))
    for c in pool:
        length = len(words(c.text))
        if chosen and length > budget:
            continue
        if any(cosine(c.vector, o.vector) > config.redundancy for o in chosen):
            continue
        chosen.append(c)
        budget -= length
        if budget <= 8:
            break
    return chosen


def group_sections(rest: list[Candidate], config: SummaryConfig) -> list[list[Candidate]]:
    """Topic groups of the non-lede sentences, best group first."""
    groups: list[list[Candidate]] = []
    limit = max(1, min(config.section_sentences, 4))
    max_groups = max(1, min(config.max_sections, 5))
    for c in sorted(rest, key=lambda c: -c.score):
        best, best_sim = None, 0.12
        for g in groups:
            if len(g) >= limit:
                continue
            sim = cosine(c.vector, centroid([o.vector for o in g]))
            if sim > best_sim:
                best, best_sim = g, sim
        if best is None and len(groups) < max_groups:
            groups.append([c])
        elif best is not None:
            best.append(c)
        else:
            roomy = [g for g in groups if len(g) < limit]
            if roomy:
                max(roomy, key=lambda g: cosine(c.vector, g[0].vector)).append(c)
    # A single group of several sentences reads better as two sections.
    if len(groups) == 1 and len(groups[0]) >= 2 and max_groups >= 2:
        g = groups[0]
        groups = [g[: (len(g) + 1) // 2], g[(len(g) + 1) // 2 :]]
    for g in groups:
        g.sort(key=lambda c: (c.source, c.position))
    return groups


def fold_unnamed(
    named: list[tuple[str, list[Candidate]]], unnamed: list[Candidate], config: SummaryConfig
) -> list[tuple[str, list[Candidate]]]:
    """Sentences whose group found no heading join the closest named section that has
    room; the rest are left out. Fewer good sections beat one headed with filler."""
    limit = max(1, min(config.section_sentences, 4)) + 1
    for c in unnamed:
        roomy = [g for _, g in named if len(g) < limit]
        if not roomy:
            break
        best = max(roomy, key=lambda g: cosine(c.vector, centroid([o.vector for o in g])))
        if cosine(c.vector, centroid([o.vector for o in best])) > 0.05:
            best.append(c)
            best.sort(key=lambda o: (o.source, o.position))
    return named


def lede_of_lead(
    cands: Sequence[Candidate],
    lead: int,
    config: SummaryConfig,
    title: str = "",
    language: str | None = None,
) -> list[Candidate]:
    """The lede from the leading report: its first usable sentence that says something
    its headline says (cited with every source that says the same), and the next one
    when the first is short.

    A feature's opening line ("It's always way more fun to root for the underdogs.")
    shares no word with its headline; the first of the next few sentences that does
    tells the reader what the headline promised. With none, the first sentence leads.
    """
    own = sorted(
        (c for c in cands if lead in c.cites),
        key=lambda c: (c.source != lead, c.position),
    )
    if not own:
        return []
    # Stems of the story's language: "АвтоВАЗа" in the report says the headline's "АвтоВАЗ".
    promised = {stem(w, language) for w in content_words(title, language)}
    first = next(
        (c for c in own[:LEDE_REACH] if c.source == lead and _says(c, promised, language)),
        own[0],
    )
    lede = [first]
    follow = [c for c in own if c.source == first.source and c.position == first.position + 1]
    limit = max(1, min(config.lede_sentences, 3))
    short = len(words(first.text)) < 25 and len(cands) > 3
    if follow and len(lede) < limit and short and _tells_more(follow[0], promised, language):
        lede.append(follow[0])
    return lede


def _says(sentence: Candidate, promised: set[str], language: str | None = None) -> bool:
    """Whether a sentence shares a word (stem) with the headline's ``promised`` stems."""
    return bool(promised & {stem(w, language) for w in sentence.tokens})


def _tells_more(sentence: Candidate, promised: set[str], language: str | None = None) -> bool:
    """Whether a sentence may extend the lede: it names someone or something, counts, or
    says what the headline says. "Learning lessons is a necessary part of growing."
    after a review's first line is mood, not news."""
    text = sentence.text
    if numbers(text) or _says(sentence, promised, language):
        return True
    # A name within it: the first word's capital may only start the sentence.
    return bool(entities(text[:1].lower() + text[1:]))


def pick_lede(chosen: list[Candidate], config: SummaryConfig) -> list[Candidate]:
    if not chosen:
        return []
    first = max(chosen, key=lambda c: c.score + (0.3 if c.position == 0 else 0.0))
    lede = [first]
    limit = max(1, min(config.lede_sentences, 3))
    follow = [c for c in chosen if c.source == first.source and c.position == first.position + 1]
    if follow and len(lede) < limit and len(words(first.text)) < 25 and len(chosen) > 3:
        lede.append(follow[0])
    return lede

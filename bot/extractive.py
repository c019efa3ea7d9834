"""The extractive summariser: real sentences from the sources, chosen, ordered, sectioned.

No network and no key. Sentences are scored by centrality (similarity to the story as
a whole), coverage (support from the other outlets) and position; chosen greedily with
a redundancy penalty; a sentence that several articles share cites all of them. The
lede is the best early sentence; the rest are grouped by topic into sections whose
headings are the most salient phrase of their sentences.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering import answer_from_articles
from bot.domain import Answer, Article, Section, Sentence, Story, Summary
from bot.grounding import (
    is_chatter,
    is_injection,
    is_shouting,
    neutralise,
    number_sources,
    ordered_articles,
)
from bot.sentences import (
    Vector,
    article_sentences,
    centroid,
    clean_title,
    content_words,
    cosine,
    dated_events,
    derive_heading,
    idf_weights,
    jaccard,
    tfidf,
    words,
)


@dataclass(frozen=True)
class SummaryConfig:
    """TOML ``[summarizer]``."""

    kind: str = "extractive"  # "extractive" or "llm"
    max_sections: int = 4  # 2..5 sections when the sources allow
    max_words: int = 130  # words in the lede and sections together
    lede_sentences: int = 2  # at most 3
    section_sentences: int = 3  # sentences per section, at most 4
    redundancy: float = 0.35  # cosine above which a sentence repeats one already chosen
    duplicate: float = 0.6  # word overlap above which two articles say the same sentence
    max_events: int = 5  # rows of the dated-events table (0: none)


@dataclass
class _Candidate:
    text: str
    source: int  # the number of the first source that has the sentence
    position: int
    tokens: list[str]
    cites: set[int] = field(default_factory=set)
    vector: Vector = field(default_factory=dict)
    score: float = 0.0

    def sentence(self) -> Sentence:
        return Sentence(neutralise(self.text), tuple(sorted(self.cites)))


def collect_candidates(articles: Sequence[Article], *, duplicate: float) -> list[_Candidate]:
    """Every usable sentence once; near-duplicates across articles merge their cites."""
    found: list[_Candidate] = []
    for number, article in enumerate(ordered_articles(articles), start=1):
        for position, text in enumerate(article_sentences(article.text)):
            if is_chatter(text) or is_injection(text) or is_shouting(text):
                continue  # a columnist's "I" or an instruction aimed at a model is no news
            tokens = content_words(text)
            twin = next(
                (c for c in found if c.source != number and jaccard(c.tokens, tokens) >= duplicate),
                None,
            )
            if twin is not None:
                twin.cites.add(number)
                continue
            if any(c.source == number and c.tokens == tokens for c in found):
                continue  # the same sentence twice in one article (feeds repeat ledes)
            found.append(_Candidate(text, number, position, tokens, {number}))
    return found


def score_candidates(cands: Sequence[_Candidate], titles: Sequence[str]) -> dict[str, float]:
    """Set each candidate's vector and score; returns the idf used."""
    title_tokens = [content_words(t) for t in titles]
    idf = idf_weights([c.tokens for c in cands] + title_tokens)
    for c in cands:
        c.vector = tfidf(c.tokens, idf)
    story = centroid([c.vector for c in cands])
    title_vec = centroid([tfidf(t, idf) for t in title_tokens if t])
    sources = {c.source for c in cands}
    for c in cands:
        others = [
            max((cosine(c.vector, o.vector) for o in cands if o.source == s), default=0.0)
            for s in sources
            if s not in c.cites
        ]
        support = (sum(others) / len(others) if others else 0.0) + 0.25 * (len(c.cites) - 1)
        c.score = (
            cosine(c.vector, story)
            + 0.5 * support
            + 0.3 * cosine(c.vector, title_vec)
            + 0.25 / (1 + c.position)
        )
    return idf


def select(cands: Sequence[_Candidate], config: SummaryConfig) -> list[_Candidate]:
    """Greedy choice by score, skipping repeats, until the word budget is spent."""
    chosen: list[_Candidate] = []
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


def group_sections(rest: list[_Candidate], config: SummaryConfig) -> list[list[_Candidate]]:
    """Topic groups of the non-lede sentences, best group first."""
    groups: list[list[_Candidate]] = []
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


def pick_lede(chosen: list[_Candidate], config: SummaryConfig) -> list[_Candidate]:
    if not chosen:
        return []
    first = max(chosen, key=lambda c: c.score + (0.3 if c.position == 0 else 0.0))
    lede = [first]
    limit = max(1, min(config.lede_sentences, 3))
    follow = [c for c in chosen if c.source == first.source and c.position == first.position + 1]
    if follow and len(lede) < limit and len(words(first.text)) < 25 and len(chosen) > 3:
        lede.append(follow[0])
    return lede


class ExtractiveSummarizer:
    """The default summariser. Pure and deterministic: same articles, same summary."""

    def __init__(self, config: SummaryConfig | None = None) -> None:
        self.config = config or SummaryConfig()

    async def summarize(self, story: Story, articles: Sequence[Article]) -> Summary:
        return self.summarize_now(story, articles)

    async def answer(self, story: Story, articles: Sequence[Article], question: str) -> Answer:
        return answer_from_articles(articles, question)

    def summarize_now(self, story: Story, articles: Sequence[Article]) -> Summary:
        """The summary, computed synchronously (tests, evaluation, fallbacks)."""
        sources = number_sources(articles)
        ordered = ordered_articles(articles)
        titles = [clean_title(a.title, a.outlet) for a in ordered]
        cands = collect_candidates(ordered, duplicate=self.config.duplicate)
        idf = score_candidates(cands, titles)
        chosen = select(cands, self.config)
        lede = pick_lede(chosen, self.config)
        rest = [c for c in chosen if c not in lede]
        groups = group_sections(rest, self.config)
        if not groups:
            groups = self._title_section(titles, lede)
        sections: list[Section] = []
        used: set[str] = set()
        for g in groups:
            heading = derive_heading([c.text for c in g], idf, avoid=used)
            used.update(content_words(heading))
            sections.append(Section(neutralise(heading), tuple(c.sentence() for c in g)))
        events = dated_events(
            [c.sentence() for c in sorted(cands, key=lambda c: -c.score)],
            year=story.created_at.year,
            limit=self.config.max_events,
        )
        return Summary(
            story_id=story.id,
            headline=self._headline(ordered, titles, cands, story),
            lede=tuple(c.sentence() for c in lede),
            sections=tuple(sections),
            sources=sources,
            events=events,
            written_by="extractive",
            story_version=story.version,
        )

    @staticmethod
    def _title_section(titles: Sequence[str], lede: list[_Candidate]) -> list[list[_Candidate]]:
        """With too little text for topics, the outlets' own headlines form one section."""
        lede_sources = {s for c in lede for s in c.cites}
        items = [
            _Candidate(t if t.endswith((".", "?", "!")) else t + ".", n, 0, content_words(t), {n})
            for n, t in enumerate(titles, start=1)
            if t and (n not in lede_sources or len(titles) == 1) and len(words(t)) >= 3
        ]
        if len(titles) > 1:
            items = items[1:] if len(items) == len(titles) else items
        return [items[:4]] if items else []

    @staticmethod
    def _headline(
        ordered: Sequence[Article], titles: Sequence[str], cands: Sequence[_Candidate], story: Story
    ) -> str:
        if not ordered:
            return neutralise(story.headline)
        idf = idf_weights([c.tokens for c in cands] + [content_words(t) for t in titles])
        story_vec = centroid([c.vector for c in cands])
        best = max(
            range(len(titles)),
            key=lambda i: (cosine(tfidf(content_words(titles[i]), idf), story_vec), -i),
        )
        return neutralise(titles[best] or story.headline)


def summary_cache_key(articles: Sequence[Article], *, prompt_version: str, model: str) -> str:
    """One summary per story version: the articles, their content, the prompt, the model."""
    parts = [f"{a.id}:{a.content_hash}" for a in sorted(articles, key=lambda a: a.id)]
    raw = "|".join([prompt_version, model, *parts])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def is_material_change(
    before: Sequence[Article],
    after: Sequence[Article],
    *,
    min_new_text: float = 0.3,
    min_new_words: int = 25,
) -> bool:
    """Whether a story changed enough to re-summarise: a new outlet, or new text.

    New text is content words the old version did not have: material when they are
    ``min_new_words`` or more, or ``min_new_text`` of the new version. A repeat or a
    small edit from an outlet already in the story does not count.
    """
    if {a.outlet for a in after} - {a.outlet for a in before}:
        return True
    old = {w for a in before for w in content_words(a.title + " " + a.text)}
    new = [w for a in after for w in content_words(a.title + " " + a.text)]
    novel = sum(1 for w in new if w not in old)
    return bool(new) and (novel >= min_new_words or novel / len(new) >= min_new_text)

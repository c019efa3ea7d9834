"""The extractive summariser: real sentences from the sources, chosen, ordered, sectioned.

No network and no key. Sentences are scored by centrality (similarity to the story as
a whole), coverage (support from the other outlets) and position; chosen greedily with
a redundancy penalty; a sentence that several articles share cites all of them. The
lede is the best early sentence; the rest are grouped by topic into sections whose
headings are the most salient phrase of their sentences.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.core.domain import Answer, Article, Section, Sentence, Story, Summary
from bot.core.errors import OffloadError
from bot.core.ports import Offload
from bot.summaries.answering import answer_from_articles
from bot.summaries.grounding import number_sources, ordered_articles
from bot.summaries.hygiene import is_chatter, is_injection, is_shouting, neutralise
from bot.summaries.lead import lead_article
from bot.summaries.timeline import dated_events
from bot.summaries.translation import sources_language
from bot.text.headings import derive_heading
from bot.text.sentences import article_sentences, clean_title, title_source
from bot.text.terms import content_words, entities, numbers, stem, words
from bot.text.vectors import Vector, centroid, cosine, idf_weights, tfidf

# How far into the leading report a lede may start (see ``lede_of_lead``).
LEDE_REACH = 4

log = logging.getLogger(__name__)


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
    sentences_per_article: int = 25  # only the first usable sentences of each article count
    # Articles of a story a summary reads (bot.summaries.selection); 0: all of them.
    max_articles: int = 12


@dataclass
class _Candidate:
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
) -> list[_Candidate]:
    """Every usable sentence once; near-duplicates across articles merge their cites.

    Only the first ``per_article`` usable sentences of each article count: news puts
    what matters first, and the scoring below is quadratic in the number of sentences.
    """
    found: list[_Candidate] = []
    for number, article in enumerate(ordered_articles(articles), start=1):
        # Very short reports (one-line descriptions) may have nothing longer than a few
        # words; then those few words are all there is to say.
        sentences = article_sentences(article.text) or article_sentences(article.text, min_words=3)
        usable = [
            t
            for t in sentences
            # A columnist's "I", a shout or an instruction aimed at a model is no news.
            if not (is_chatter(t) or is_injection(t) or is_shouting(t))
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
            found.append(_Candidate(text, number, position, tokens, {number}, bag))
    return found


def _similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """Jaccard overlap of two word sets at least ``threshold`` (sizes checked first)."""
    if not a or not b or min(len(a), len(b)) < threshold * max(len(a), len(b)):
        return False
    shared = len(a & b)
    return shared >= threshold * (len(a) + len(b) - shared)


def _best_match_per_source(cands: Sequence[_Candidate]) -> list[dict[int, float]]:
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


def score_candidates(cands: Sequence[_Candidate], titles: Sequence[str]) -> dict[str, float]:
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


def fold_unnamed(
    named: list[tuple[str, list[_Candidate]]], unnamed: list[_Candidate], config: SummaryConfig
) -> list[tuple[str, list[_Candidate]]]:
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
    cands: Sequence[_Candidate], lead: int, config: SummaryConfig, title: str = ""
) -> list[_Candidate]:
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
    promised = {stem(w) for w in content_words(title)}
    first = next(
        (c for c in own[:LEDE_REACH] if c.source == lead and _says(c, promised)),
        own[0],
    )
    lede = [first]
    follow = [c for c in own if c.source == first.source and c.position == first.position + 1]
    limit = max(1, min(config.lede_sentences, 3))
    short = len(words(first.text)) < 25 and len(cands) > 3
    if follow and len(lede) < limit and short and _tells_more(follow[0], promised):
        lede.append(follow[0])
    return lede


def _says(sentence: _Candidate, promised: set[str]) -> bool:
    """Whether a sentence shares a word (stem) with the headline's ``promised`` stems."""
    return bool(promised & {stem(w) for w in sentence.tokens})


def _tells_more(sentence: _Candidate, promised: set[str]) -> bool:
    """Whether a sentence may extend the lede: it names someone or something, counts, or
    says what the headline says. "Learning lessons is a necessary part of growing."
    after a review's first line is mood, not news."""
    text = sentence.text
    if numbers(text) or _says(sentence, promised):
        return True
    # A name within it: the first word's capital may only start the sentence.
    return bool(entities(text[:1].lower() + text[1:]))


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

    def __init__(
        self, config: SummaryConfig | None = None, *, offload: Offload | None = None
    ) -> None:
        self.config = config or SummaryConfig()
        self.offload = offload

    async def summarize(
        self, story: Story, articles: Sequence[Article], *, for_post: bool = True
    ) -> Summary:
        """In a worker when one is given (a summary is milliseconds of CPU, and a busy
        batch has hundreds), else here; a worker that dies or hangs costs one summary's
        time here, not the summary. A summary no post waits for takes its turn behind
        the feed parses queued before it (a first start's backlog must not slow polling)."""
        if self.offload is not None:
            try:
                return await self.offload.run_off_loop(
                    summarize_in_worker, self.config, story, list(articles), urgent=for_post
                )
            except OffloadError as err:
                log.warning("summary.offload_failed story=%s reason=%r", story.id, str(err))
        return self.summarize_now(story, articles)

    async def answer(
        self,
        story: Story,
        articles: Sequence[Article],
        question: str,
        *,
        language: str | None = None,
    ) -> Answer:
        """The sources' own sentences, in their language, whatever the chat reads."""
        found = answer_from_articles(articles, question)
        return replace(found, language=sources_language(articles))

    def summarize_now(self, story: Story, articles: Sequence[Article]) -> Summary:
        """The summary, computed synchronously (tests, evaluation, fallbacks)."""
        sources = number_sources(articles)
        ordered = ordered_articles(articles)
        titles = [clean_title(a.title, a.outlet) for a in ordered]
        cands = collect_candidates(
            ordered, duplicate=self.config.duplicate, per_article=self.config.sentences_per_article
        )
        idf = score_candidates(cands, titles)
        chosen = select(cands, self.config)
        lead = ordered.index(lead_article(ordered)) + 1 if ordered else 1
        lede = lede_of_lead(cands, lead, self.config, titles[lead - 1] if ordered else "")
        lede = lede or pick_lede(chosen, self.config)
        rest = [
            c
            for c in chosen
            if c not in lede
            and all(cosine(c.vector, o.vector) <= self.config.redundancy for o in lede)
        ]
        groups = group_sections(rest, self.config)
        if not groups:
            groups = self._title_section(titles, lede)
        # The headline is the leading report's own, so headline, link and lede agree.
        headline = neutralise(titles[lead - 1] or story.headline) if ordered else story.headline
        named: list[tuple[str, list[_Candidate]]] = []
        unnamed: list[_Candidate] = []
        used: set[str] = set()
        story_texts = [c.text for c in cands]
        credited = [src for src in map(title_source, (a.title for a in ordered)) if src]
        for g in groups:
            heading = derive_heading(
                [c.text for c in g],
                idf,
                avoid=used,
                headline=headline,
                context=story_texts,
                sources=credited,
            )
            if not heading:
                unnamed.extend(g)
                continue
            used.update(content_words(heading))
            named.append((heading, g))
        sections = [
            Section(neutralise(heading), tuple(c.sentence() for c in g))
            for heading, g in fold_unnamed(named, unnamed, self.config)
        ]
        # Only the more central half of the sentences may date an event, so that passing
        # mentions ("France's equivalent to July 4") stay out of the table.
        ranked = sorted(cands, key=lambda c: (-c.score, c.source, c.position))
        events = dated_events(
            [c.sentence() for c in ranked[: max(4, len(ranked) // 2)]],
            years={ref.number: ref.published.year for ref in sources},
            limit=self.config.max_events,
        )
        return Summary(
            story_id=story.id,
            headline=headline,
            lede=tuple(c.sentence() for c in lede),
            sections=tuple(sections),
            sources=sources,
            events=events,
            written_by="extractive",
            story_version=story.version,
            lead=lead,
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
    if {a.publisher_key for a in after} - {a.publisher_key for a in before}:
        return True
    old = {w for a in before for w in content_words(a.title + " " + a.text)}
    new = [w for a in after for w in content_words(a.title + " " + a.text)]
    novel = sum(1 for w in new if w not in old)
    return bool(new) and (novel >= min_new_words or novel / len(new) >= min_new_text)


def summarize_in_worker(config: SummaryConfig, story: Story, articles: list[Article]) -> Summary:
    """The extractive summary, in a worker process (module level: it is pickled by name)."""
    return ExtractiveSummarizer(config).summarize_now(story, articles)

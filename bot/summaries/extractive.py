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
from dataclasses import replace

from bot.core.domain import Answer, Article, Section, Story, Summary
from bot.core.errors import OffloadError
from bot.core.ports import Offload
from bot.summaries.answering import answer_from_articles
from bot.summaries.candidates import (
    Candidate,
    collect_candidates,
    fold_unnamed,
    group_sections,
    lede_of_lead,
    pick_lede,
    score_candidates,
    select,
)
from bot.summaries.grounding import number_sources, ordered_articles
from bot.summaries.hygiene import neutralise
from bot.summaries.lead import lead_article
from bot.summaries.summary_config import SummaryConfig
from bot.summaries.timeline import dated_events
from bot.summaries.translation import sources_language
from bot.text.headings import derive_heading
from bot.text.sentences import clean_title, title_sources
from bot.text.terms import content_words, words
from bot.text.vectors import cosine

log = logging.getLogger(__name__)


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
        language = sources_language(ordered)
        title = titles[lead - 1] if ordered else ""
        lede = lede_of_lead(cands, lead, self.config, title, language)
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
        named: list[tuple[str, list[Candidate]]] = []
        unnamed: list[Candidate] = []
        used: set[str] = set()
        story_texts = [c.text for c in cands]
        credited = title_sources(a.title for a in ordered)
        for g in groups:
            heading = derive_heading(
                [c.text for c in g],
                idf,
                avoid=used,
                headline=headline,
                context=story_texts,
                sources=credited,
                language=language,
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
    def _title_section(titles: Sequence[str], lede: list[Candidate]) -> list[list[Candidate]]:
        """With too little text for topics, the outlets' own headlines form one section."""
        lede_sources = {s for c in lede for s in c.cites}
        items = [
            Candidate(t if t.endswith((".", "?", "!")) else t + ".", n, 0, content_words(t), {n})
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

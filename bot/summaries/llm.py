"""The LLM summariser: a chat model writes, code decides what of it is published.

The model is any :class:`bot.core.ports.ChatModel` (``adapters.llm`` for OpenAI-compatible
endpoints). This module owns everything else: the prompts (``bot.summaries.prompt``), the
daily token budget, the cache, the shape of sections and their headings, and grounding
(``bot.summaries.grounding``). When the call is over budget, times out, fails, or too
little survives grounding, the extractive summary is used instead, and the reason is
logged and counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.core.domain import Answer, Article, ChatMessage, Section, Sentence, Story, Summary
from bot.core.errors import ModelError, StorageError
from bot.core.metrics import Metrics, expose
from bot.core.ports import ChatModel, Clock, Summarizer
from bot.summaries.answer_language import (
    answer_languages,
    answer_pairs,
    checked_answer,
    in_language,
)
from bot.summaries.budget import MemoryBudget
from bot.summaries.extractive import summary_cache_key
from bot.summaries.grounding import GroundingResult, ground, number_sources
from bot.summaries.lead import lead_article
from bot.summaries.llm_config import LLMConfig, LLMStats
from bot.summaries.ports import BudgetStore
from bot.summaries.prompt import (
    PROMPT_VERSION,
    answer_messages,
    draft_from_json,
    estimate_tokens,
    find_json_object,
    parse_answer,
    summary_messages,
    utc_day,
)
from bot.summaries.translation import sources_language
from bot.text.headings import derive_heading, is_good_heading
from bot.text.headwords import FALLBACKS
from bot.text.sentences import title_sources
from bot.text.terms import content_words
from bot.text.vectors import idf_weights

log = logging.getLogger("newsbot.llm")


def _good_model_heading(
    heading: str,
    own: list[str],
    texts: list[str],
    used: set[str],
    credited: list[str],
    *,
    language: str | None = None,
) -> bool:
    """A heading the rules accept (a name or sub-event, no filler), not one that repeats
    another section's words or names an outlet the reports credit."""
    if not heading or heading in FALLBACKS or heading in credited:
        return False
    if set(content_words(heading)) & used:
        return False
    return is_good_heading(heading, [*own, *texts], language)


class _Fallback(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LLMSummarizer:
    """A :class:`bot.core.ports.Summarizer` backed by a chat model, grounded in code."""

    def __init__(
        self,
        model: ChatModel,
        config: LLMConfig,
        *,
        fallback: Summarizer,
        clock: Clock,
        budget: BudgetStore | None = None,
    ) -> None:
        self.config = config
        self.stats = LLMStats()
        self._model = model
        self._fallback = fallback
        self._clock = clock
        self._slots = asyncio.Semaphore(max(1, config.max_concurrency))
        self._cache: OrderedDict[str, Summary] = OrderedDict()
        # Stored (shared by every process, kept over restarts) when a database is wired.
        self._budget: BudgetStore = budget if budget is not None else MemoryBudget()

    def publish_metrics(self, metrics: Metrics) -> None:
        """Export this summariser's numbers, read at every scrape."""
        stats = self.stats
        names = ("calls", "failures", "prompt_tokens", "completion_tokens", "cache_hits")
        expose(metrics, "llm", stats, names)
        metrics.read_from(
            "llm_fallbacks", lambda: dict(stats.fallbacks), kind="counter", label="reason",
            help="summaries and answers that fell back to extractive, by reason",
        )  # fmt: skip
        metrics.read_from(
            "llm_sentences_dropped", lambda: dict(stats.dropped), kind="counter",
            label="reason", help="model sentences removed by grounding, by reason",
        )  # fmt: skip
        metrics.read_from(
            "llm_estimated_cost_usd", lambda: self.estimated_cost_usd, kind="counter",
            help="tokens used so far at [llm] usd_per_million_*_tokens",
        )  # fmt: skip

    @property
    def estimated_cost_usd(self) -> float:
        """What the tokens used so far cost at the configured prices."""
        return (
            self.stats.prompt_tokens * self.config.usd_per_million_input_tokens
            + self.stats.completion_tokens * self.config.usd_per_million_output_tokens
        ) / 1_000_000

    # ------------------------------------------------------------ summaries

    async def summarize(
        self, story: Story, articles: Sequence[Article], *, for_post: bool = True
    ) -> Summary:
        if not for_post:
            # A first poll's old items are thousands of stories nobody is posted: the
            # day's token budget is kept for what is, and these read the sources' words.
            self.stats.fallbacks["not_posted"] += 1
            return await self._fallback.summarize(story, articles, for_post=False)
        key = summary_cache_key(articles, prompt_version=PROMPT_VERSION, model=self._model.name)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.stats.cache_hits += 1
            return replace(cached, story_id=story.id, story_version=story.version)
        try:
            summary = await self._summarize_with_model(story, articles)
        except _Fallback as fb:
            self.stats.fallbacks[fb.reason] += 1
            log.warning(
                "llm.fallback reason=%s story=%s model=%s", fb.reason, story.id, self._model.name
            )
            return await self._fallback.summarize(story, articles)
        self._cache[key] = summary
        while len(self._cache) > self.config.cache_size:
            self._cache.popitem(last=False)
        return summary

    async def _summarize_with_model(self, story: Story, articles: Sequence[Article]) -> Summary:
        if not articles:
            raise _Fallback("no_articles")
        sources = number_sources(articles)
        messages = summary_messages(articles, sources, self.config.max_input_tokens)
        data = await self._complete_json(messages, story.id)
        draft = draft_from_json(data, story.id)
        if draft is None:
            raise _Fallback("malformed")
        result = ground(draft, articles)
        self.stats.dropped.update(result.dropped)
        summary = await self._finish(story, articles, result)
        self.stats.kept += result.kept
        self.stats.summaries += 1
        log.info(
            "llm.summary story=%s model=%s kept=%d dropped=%d",
            story.id,
            self._model.name,
            result.kept,
            sum(result.dropped.values()),
        )
        return summary

    async def _finish(
        self, story: Story, articles: Sequence[Article], result: GroundingResult
    ) -> Summary:
        """Shape what survived grounding; too little, and the extractive summary wins."""
        draft = result.summary
        lede = draft.lede[:3]
        sections = [s for s in draft.sections if s.sentences]
        if not lede and sections:
            first = sections[0]
            lede = first.sentences[:1]
            sections[0] = Section(first.heading, first.sentences[1:])
            sections = [s for s in sections if s.sentences]
        total = len(lede) + sum(len(s.sentences) for s in sections)
        if not sections or total < self.config.min_sentences:
            raise _Fallback("ungrounded")
        texts = [s.text for s in lede] + [x.text for s in sections for x in s.sentences]
        idf = idf_weights([content_words(t) for t in texts])
        named: list[Section] = []
        used: set[str] = set()
        credited = title_sources(a.title for a in articles)
        language = sources_language(articles)
        waiting: list[Sentence] = []
        for section in sections[:5]:
            own = [s.text for s in section.sentences]
            # The model's heading follows the rules extractive headings follow, else one
            # is derived from the section's sentences.
            heading = section.heading
            if not _good_model_heading(heading, own, texts, used, credited, language=language):
                self.stats.headings_replaced += 1
                heading = derive_heading(
                    own,
                    idf,
                    avoid=used,
                    headline=draft.headline,
                    context=texts,
                    sources=credited,
                    language=language,
                )
            if not heading:
                # Nothing names it: its sentences join the previous section, or the next.
                if named and len(named[-1].sentences) < 4:
                    prev = named[-1]
                    named[-1] = Section(prev.heading, (*prev.sentences, *section.sentences)[:4])
                elif not named:
                    waiting.extend(section.sentences)
                continue
            used.update(content_words(heading))
            named.append(Section(heading, (*waiting, *section.sentences)[:4]))
            waiting = []
        # Sentences that no named section took may still complete a short lede.
        lede = (*lede, *waiting)[: max(3, len(lede))]
        ordered = sorted(articles, key=lambda a: (a.published, a.id))
        lead = ordered.index(lead_article(ordered)) + 1 if ordered else 1
        # Grounding kept the model's headline only if the leading report supports it;
        # otherwise the lead's own title, so headline, link and lede agree.
        headline = draft.headline or draft.sources[lead - 1].title
        return replace(
            draft,
            story_id=story.id,
            story_version=story.version,
            headline=headline,
            lede=lede,
            sections=tuple(named),
            written_by=f"llm:{self._model.name}",
            lead=lead,
        )

    # ------------------------------------------------------------ answers

    async def answer(
        self,
        story: Story,
        articles: Sequence[Article],
        question: str,
        *,
        language: str | None = None,
    ) -> Answer:
        try:
            return await self._answer_with_model(story, articles, question, language)
        except _Fallback as fb:
            self.stats.fallbacks[fb.reason] += 1
            log.warning("llm.fallback reason=%s story=%s kind=answer", fb.reason, story.id)
        return await self._fallback.answer(story, articles, question)

    async def _answer_with_model(
        self, story: Story, articles: Sequence[Article], question: str, language: str | None
    ) -> Answer:
        if not articles or not question.strip():
            raise _Fallback("no_question")
        sources = number_sources(articles)
        messages = answer_messages(articles, sources, self.config.max_input_tokens, question)
        source, target = answer_languages(articles, language)
        if target is not None:  # checked against the grounded text (answer_language)
            messages = in_language(messages, target)
        data = await self._complete_json(messages, story.id)
        found, sentences = parse_answer(data)
        if not found:
            closest = await self._fallback.answer(story, articles, question)
            return Answer(closest.sentences, found=False, language=closest.language)
        if target is not None:
            answer, dropped = checked_answer(answer_pairs(data), articles, source, target)
            self.stats.dropped.update(dropped)
            if answer is None:
                raise _Fallback("ungrounded")
            self.stats.kept += len(answer.sentences)
            self.stats.answers += 1
            return answer
        draft = Summary(story.id, "", sentences[:3], (), ())
        result = ground(draft, articles)
        self.stats.dropped.update(result.dropped)
        if not result.summary.lede:
            raise _Fallback("ungrounded")
        self.stats.kept += result.kept
        self.stats.answers += 1
        return Answer(result.summary.lede, found=True, language=source)

    # ------------------------------------------------------------ the call

    async def complete_json(
        self, messages: list[ChatMessage], *, story_id: str, max_tokens: int
    ) -> tuple[dict[str, Any] | None, str]:
        """One call for another part of the policy (translations: ``bot.summaries.
        translator``), under this summariser's budget and concurrency: (the JSON object,
        "") or (None, the reason it is missing). Never raises for the model's failures."""
        try:
            return await self._complete_json(messages, story_id, max_tokens=max_tokens), ""
        except _Fallback as fb:
            return None, fb.reason

    async def _reserve(self, messages: Sequence[ChatMessage], max_tokens: int) -> tuple[str, int]:
        """Reserve the call's most tokens against today's budget before it is made (so
        calls in flight in any process cannot overrun it together); refuse if they would."""
        day = utc_day(self._clock.now())
        budget = self.config.daily_token_budget
        needed = sum(estimate_tokens(m.content) for m in messages) + max_tokens
        if budget <= 0:
            return day, 0
        try:
            granted = await self._budget.reserve_tokens(day, needed, budget)
        except StorageError as err:
            log.warning("llm.budget_unavailable error=%r", err)
            raise _Fallback("budget") from err
        if not granted:
            raise _Fallback("budget")
        return day, needed

    async def _complete_json(
        self, messages: list[ChatMessage], story_id: str, *, max_tokens: int | None = None
    ) -> dict[str, Any]:
        most = self.config.max_output_tokens if max_tokens is None else max_tokens
        day, reserved = await self._reserve(messages, most)
        used = 0
        try:
            content, used = await self._call(messages, story_id, most)
        finally:
            if reserved:
                await self._settle(day, reserved, used)
        if not content:
            raise _Fallback("empty")
        data, wrapped = find_json_object(content)
        if data is None:
            raise _Fallback("malformed")
        if wrapped:
            self.stats.wrappers_stripped += 1
        return data

    async def _settle(self, day: str, reserved: int, used: int) -> None:
        try:
            await self._budget.settle_tokens(day, reserved, used)
        except StorageError as err:
            # The reservation stays counted: the budget errs on the side of spending less.
            log.warning("llm.budget_settle_failed error=%r", err)

    async def _call(
        self, messages: list[ChatMessage], story_id: str, max_tokens: int
    ) -> tuple[str, int]:
        """The model's text and the tokens it used (counted against today's budget)."""
        async with self._slots:
            self.stats.calls += 1
            try:
                reply = await self._model.complete(messages, json=True, max_tokens=max_tokens)
            except ModelError as err:
                self.stats.failures += 1
                if err.status is not None and err.reason in ("server_error", "refused"):
                    log.info("llm.error story=%s status=%d", story_id, err.status)
                raise _Fallback(err.reason) from err
        # Endpoints that report no usage are charged an estimate, so the budget still holds.
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = sum(estimate_tokens(m.content) for m in messages)
        completion = reply.completion_tokens
        if completion is None:
            completion = estimate_tokens(reply.text)
        self.stats.prompt_tokens += prompt
        self.stats.completion_tokens += completion
        return reply.text, prompt + completion

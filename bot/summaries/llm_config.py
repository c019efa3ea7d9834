"""Settings of the LLM summariser (TOML ``[llm]``) and the counters it keeps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LLMConfig:
    """TOML ``[llm]``. The key comes from ``OPENAI_API_KEY`` (not needed locally).

    The connection settings (``base_url`` to ``json_mode``, ``temperature``) are the chat
    model adapter's, handed to it by the composition root; the rest are this module's.
    """

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    timeout_s: float = 30.0  # per request
    max_retries: int = 2  # the client's own retries (429 with retry-after, 5xx)
    max_concurrency: int = 2  # requests in flight at once
    daily_token_budget: int = 200_000  # prompt + completion tokens per UTC day; 0 = no limit
    json_mode: str = "auto"  # "auto" (try, then remember), "on", "off"
    max_input_tokens: int = 3_000  # article text per story, trimmed at sentence ends
    max_output_tokens: int = 900
    temperature: float = 0.2
    min_sentences: int = 3  # fewer grounded sentences than this: use the extractive summary
    cache_size: int = 256  # summaries kept in memory, keyed by articles+prompt+model
    # Summaries translated for the languages of the chats they go to: one call per story
    # version per language, stored and shared by every chat of that language.
    translate: bool = True
    translate_max_languages: int = 3  # per story version, the most wanted first
    # Your provider's prices, for the estimated-cost metric; 0 counts the tokens as free.
    usd_per_million_input_tokens: float = 0.0
    usd_per_million_output_tokens: float = 0.0


@dataclass
class LLMStats:
    """Counters for metrics: calls, tokens, fallbacks and drops by reason."""

    calls: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    summaries: int = 0  # summaries written by the model (after grounding)
    answers: int = 0
    kept: int = 0  # sentences that passed grounding
    wrappers_stripped: int = 0  # replies with chatter or fences around the JSON
    headings_replaced: int = 0  # model headings that broke the heading rules
    fallbacks: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

"""Ports: the small Protocols the core calls and the adapters implement (the network,
the chat platforms, the summariser, time).

What a part needs from storage is a port of its own, beside it: ``bot.feeds.ports``
(the watcher), ``bot.stories.ports`` (the pipeline), ``bot.delivery.ports`` (the
dispatcher), ``bot.commands.ports`` (the commands) and ``bot.app.ports`` (the run loop,
the demo, the operator commands). Each lists only the methods its consumer calls; the one
``storage.SqlStorage`` implements them all.

Invariants for every port, here and there: datetimes are timezone-aware UTC; values
crossing a port are the frozen dataclasses of ``bot.core.domain`` and ``bot.core.cards``;
errors raised are those of ``bot.core.errors`` (implementations wrap library errors with
``raise ... from``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.core.cards import Card
from bot.core.domain import (
    Answer,
    Article,
    ChatMessage,
    ChatReply,
    Destination,
    FetchRequest,
    FetchResult,
    MessageRef,
    ParsedFeed,
    Story,
    Summary,
)

T = TypeVar("T")


class Offload(Protocol):
    """Worker processes for CPU-heavy, picklable work, so it does not hold the event loop."""

    async def run_off_loop(self, fn: Callable[..., T], *args: Any, urgent: bool = True) -> T:
        """``fn(*args)`` in a worker: before other queued work when ``urgent`` (someone
        waits for it), else in turn with it. Raises OffloadError when the worker ran out
        of time or died; whatever ``fn`` itself raised otherwise."""
        ...


class Clock(Protocol):
    """The only source of "now" for the core, so decisions are testable."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class FeedFetcher(Protocol):
    """Fetches feed documents over the network. Implemented in ``adapters.feeds``."""

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """One conditional GET. Called by the watcher for each due feed.

        Returns the result for 200 and 304. Raises ``FetchError`` for anything else
        (``UnsafeURLError`` for a refused address, ``transient`` says whether to retry).
        """
        ...

    async def wait_turn(self, url: str) -> None:
        """Wait until the host of ``url`` may be asked again (politeness between requests
        to one host), holding nothing; this task's next ``fetch`` of it uses the turn.
        The watcher waits here before it takes one of its polls in flight."""
        ...

    async def close(self) -> None:
        """Release connections. Called once at shutdown."""
        ...


class FeedParser(Protocol):
    """Turns a fetched body into entries. Implemented in ``adapters.feeds``."""

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        """Parse off the event loop. Raises ``FeedParseError`` with a reason in words."""
        ...


class Summarizer(Protocol):
    """Writes a grounded summary of one story. Extractive in the core, LLM in adapters."""

    async def summarize(
        self, story: Story, articles: Sequence[Article], *, for_post: bool = True
    ) -> Summary:
        """Called by the pipeline once per story version. ``for_post`` False: no post
        will show this version (its reports predate their feeds, as a first poll's old
        items do), so it may wait behind other work and need not cost a model's tokens.
        Raises ``SummaryError``."""
        ...

    async def answer(
        self,
        story: Story,
        articles: Sequence[Article],
        question: str,
        *,
        language: str | None = None,
    ) -> Answer:
        """Answer only from the story's articles. Called by ``/ask`` with the chat's
        ``language``: the answer is in it only when its facts could be checked against the
        grounded original; ``Answer.language`` says what it is written in."""
        ...


class ChatModel(Protocol):
    """A chat model behind some API; it only talks to the model. Implemented in
    ``adapters.llm``; prompts, budget, cache and grounding are ``bot.summaries.llm``'s."""

    name: str  # the model's name, for cache keys, bylines and logs

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool, max_tokens: int
    ) -> ChatReply:
        """One completion of ``messages``, at most ``max_tokens`` long. Called by
        ``LLMSummarizer`` for each summary or answer it asks the model for.

        ``json`` asks for JSON mode where the endpoint has it; it is a request, not a
        promise, so the caller still parses the text. Returns the text and the tokens the
        endpoint reported. Raises ``TransientModelError`` (timeout, 429, 5xx, connection)
        or ``PermanentModelError`` (a refusal, or an answer that is not a completion), each
        with a one-word ``reason``; retries are the implementation's, before it raises.
        """
        ...


class ArticleTextSource(Protocol):
    """Fetches an article's page and extracts its main text (``adapters.feeds``)."""

    def needs_article_text(self, feed_text: str) -> bool:
        """Whether the feed's own text is too short to summarise from."""
        ...

    async def article_text(self, url: str, *, allow_private: bool = False) -> str | None:
        """The page's main text, or None. Never raises for one page."""
        ...


class Messenger(Protocol):
    """Sends cards to one platform. Implemented by each chat adapter."""

    platform: str

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        """Post a new message. ``nonce`` is deterministic per delivery so that a platform
        with idempotency keys can drop a resend. Raises ``DeliveryError`` subclasses."""
        ...

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace a message we posted. Raises ``DeliveryError`` subclasses."""
        ...

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        """Post ``card`` as a reply to (or in a thread under) ``ref``."""
        ...

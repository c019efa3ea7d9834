"""Which community's questions used how many LLM tokens (``/usage``, scope budgets).

``MeteredChatModel`` wraps the chat model the LLM summariser calls and adds each reply's
tokens to the meter of the command running (a context variable ``Commands.ask`` sets),
so summaries, which no community asked for, are not charged to anyone. The per-scope
totals are stored by day (``ScopeUsageStore``) so every process sees them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from bot.core.domain import ChatMessage, ChatReply
from bot.core.ports import ChatModel


@dataclass
class Meter:
    """Tokens and estimated cost (millionths of a dollar) of one command's model calls."""

    tokens: int = 0
    cost_micro_usd: int = 0


_CURRENT: ContextVar[Meter | None] = ContextVar("newsbot_usage_meter", default=None)


@contextlib.contextmanager
def metered() -> Iterator[Meter]:
    """Count the model calls made inside the block."""
    meter = Meter()
    token = _CURRENT.set(meter)
    try:
        yield meter
    finally:
        _CURRENT.reset(token)


class MeteredChatModel:
    """A ``ChatModel`` that charges each reply to the meter of the command running."""

    def __init__(
        self, model: ChatModel, *, usd_per_million_input: float, usd_per_million_output: float
    ) -> None:
        self._model = model
        self.name = model.name
        self._input = usd_per_million_input
        self._output = usd_per_million_output

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool, max_tokens: int
    ) -> ChatReply:
        reply = await self._model.complete(messages, json=json, max_tokens=max_tokens)
        meter = _CURRENT.get()
        if meter is not None:
            # Endpoints that report no usage: about four characters a token.
            prompt = reply.prompt_tokens
            if prompt is None:
                prompt = sum(len(m.content) for m in messages) // 4
            completion = reply.completion_tokens
            if completion is None:
                completion = len(reply.text) // 4
            meter.tokens += prompt + completion
            meter.cost_micro_usd += round(prompt * self._input + completion * self._output)
        return reply


def utc_day(now: datetime) -> str:
    return now.strftime("%Y-%m-%d")


def month_start(now: datetime) -> str:
    return now.strftime("%Y-%m-01")

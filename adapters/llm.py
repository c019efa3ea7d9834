"""A chat model: any OpenAI-compatible endpoint through the official ``openai`` client.

OpenAI, Ollama, vLLM and llama.cpp's server all speak Chat Completions. This adapter
only talks to the model (:class:`bot.core.ports.ChatModel`): messages in, text and token
usage out, library errors mapped onto ``bot.core.errors``. What to ask, how much may be
spent and what of the answer may be published is ``bot.summaries.llm``'s business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openai
from openai import AsyncOpenAI

from bot.core.domain import ChatMessage, ChatReply
from bot.core.errors import ConfigError, ModelError, PermanentModelError, TransientModelError

log = logging.getLogger("newsbot.llm")

JSON_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class OpenAIChatConfig:
    """The connection settings of TOML ``[llm]`` (the composition root maps them)."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    timeout_s: float = 30.0  # per request
    max_retries: int = 2  # the client's own retries (429 with retry-after, 5xx)
    json_mode: str = "auto"  # "auto" (try, then remember), "on", "off"
    temperature: float = 0.2


class OpenAIChatModel:
    """A :class:`bot.core.ports.ChatModel` on ``openai.AsyncOpenAI``."""

    def __init__(self, config: OpenAIChatConfig, *, api_key: str | None) -> None:
        if config.json_mode not in JSON_MODES:
            raise ConfigError(f"llm.json_mode must be one of {', '.join(JSON_MODES)}.")
        self.config = config
        self.name = config.model
        # Local servers ignore the key, but the client insists on having one.
        self._client = AsyncOpenAI(
            api_key=api_key or "no-key-needed",
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
        )
        self._json_ok: bool | None = {"on": True, "off": False}.get(config.json_mode)

    async def close(self) -> None:
        await self._client.close()

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool, max_tokens: int
    ) -> ChatReply:
        # An overall deadline too: retries and a slowly dripping body must not hold the
        # caller much longer than the configured timeout allows.
        deadline = self.config.timeout_s * (self.config.max_retries + 1) + 10
        wire = [{"role": m.role, "content": m.content} for m in messages]
        try:
            async with asyncio.timeout(deadline):
                return await self._request(wire, json=json, max_tokens=max_tokens)
        except (TimeoutError, openai.APITimeoutError) as err:
            raise TransientModelError("timeout") from err
        except openai.RateLimitError as err:
            raise TransientModelError("rate_limited", status=err.status_code) from err
        except openai.APIStatusError as err:
            status = err.status_code
            error: ModelError = (
                TransientModelError("server_error", status=status)
                if status >= 500
                else PermanentModelError("refused", status=status)
            )
            raise error from err
        except openai.APIConnectionError as err:
            raise TransientModelError("connection") from err
        except openai.OpenAIError as err:
            raise PermanentModelError("client_error") from err
        except (ValueError, KeyError, TypeError) as err:
            # A 200 whose body is not a chat completion (bad JSON, wrong fields).
            raise PermanentModelError("bad_response") from err

    async def _request(
        self, messages: list[dict[str, str]], *, json: bool, max_tokens: int
    ) -> ChatReply:
        use_json = json and self._json_ok is not False
        try:
            return await self._create(messages, json_mode=use_json, max_tokens=max_tokens)
        except (openai.BadRequestError, openai.UnprocessableEntityError):
            if self.config.json_mode != "auto" or not use_json:
                raise
            # The endpoint refused JSON mode; remember it and ask for plain text.
            self._json_ok = False
            log.info("llm.json_mode supported=false model=%s", self.config.model)
            return await self._create(messages, json_mode=False, max_tokens=max_tokens)

    async def _create(
        self, messages: list[dict[str, str]], *, json_mode: bool, max_tokens: int
    ) -> ChatReply:
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_mode else {}
        response = await self._client.chat.completions.create(
            model=self.config.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=self.config.temperature,
            max_tokens=max_tokens,
            **extra,
        )
        if json_mode and self._json_ok is None:
            self._json_ok = True
        content = response.choices[0].message.content if response.choices else None
        usage = response.usage
        return ChatReply(
            text=content or "",
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )

"""A fake OpenAI-compatible Chat Completions server (aiohttp, 127.0.0.1, random port).

It speaks ``POST /v1/chat/completions`` the way OpenAI, Ollama, vLLM and llama.cpp do,
so the real ``openai`` client can be tested against it. Each test scripts replies in
order (``push``); a reply is either a ``Reply`` or a function of the request body that
returns one, so a "model" can be made to echo what it was sent. Every request body is
recorded for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Body = dict[str, Any]


@dataclass
class Reply:
    """One scripted answer. ``content`` is the assistant message; ``raw`` replaces the
    whole HTTP body (for malformed responses); ``hang`` never answers until closed."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None
    delay_s: float = 0.0
    hang: bool = False
    usage: bool = True
    reject_json_mode: bool = False  # 400 when response_format is asked for


Script = Reply | Callable[[Body], Reply]


def error_reply(status: int, message: str, **headers: str) -> Reply:
    body = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    return Reply(status=status, raw=json.dumps(body), headers=dict(headers))


class FakeOpenAI:
    """Start with ``await fake.start()``; ``fake.base_url`` is what the client needs."""

    def __init__(self) -> None:
        self.requests: list[Body] = []
        self.headers: list[dict[str, str]] = []
        self._script: deque[Script] = deque()
        self.default: Script | None = None
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._ids = itertools.count(1)
        self.base_url = ""
        self.in_flight = 0
        self.peak_in_flight = 0

    def push(self, *replies: Script) -> None:
        self._script.extend(replies)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp keeps the bound socket here
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _next(self, body: Body) -> Reply:
        script = self._script.popleft() if self._script else self.default
        if script is None:
            return error_reply(500, "no scripted reply left")
        return script(body) if callable(script) else script

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body: Body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        reply = self._next(body)
        if reply.hang:
            await self._closing.wait()
            return web.Response(status=503)
        if reply.delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), reply.delay_s)
        if reply.reject_json_mode and "response_format" in body:
            reply = error_reply(400, "response_format is not supported by this model")
        if reply.raw is not None:
            return web.Response(
                status=reply.status,
                text=reply.raw,
                content_type="application/json",
                headers=reply.headers,
            )
        content = reply.content or ""
        payload: Body = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        if reply.usage:
            prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
            completion = len(content) // 4
            payload["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        return web.json_response(payload, status=reply.status, headers=reply.headers)

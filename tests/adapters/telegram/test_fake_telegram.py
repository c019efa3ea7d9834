"""The fake Bot API itself behaves like Telegram where the adapter relies on it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.fake_telegram import FakeTelegram

USER = 42


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    server.add_user(USER)
    try:
        yield server
    finally:
        await server.close()


async def call(fake: FakeTelegram, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """Form-encoded like PTB: strings as they are, everything else as JSON."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{fake.token}/{method}", data=form) as resp,
    ):
        return resp.status, await resp.json()


async def test_get_updates_long_polls_and_offsets_confirm(fake: FakeTelegram) -> None:
    status, body = await call(fake, "getUpdates", timeout=0)
    assert (status, body["result"]) == (200, [])
    waiting = asyncio.create_task(call(fake, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    fake.user_message(USER, USER, "hello")
    _, body = await asyncio.wait_for(waiting, 2)
    (update,) = body["result"]
    assert update["message"]["text"] == "hello"
    _, again = await call(fake, "getUpdates", timeout=0)
    assert [u["update_id"] for u in again["result"]] == [update["update_id"]]
    _, confirmed = await call(fake, "getUpdates", offset=update["update_id"] + 1, timeout=0)
    assert confirmed["result"] == []


async def test_a_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}0:nope/getMe") as resp,
    ):
        assert resp.status == 401


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "<b>x" * 1, "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "   "}, "message text is empty"),
        (
            {
                "text": "ok",
                "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d" * 65}]]},
            },
            "BUTTON_DATA_INVALID",
        ),
        ({"text": "ok", "message_thread_id": 3}, "message thread not found"),
    ],
)
async def test_send_message_refuses_what_telegram_refuses(
    fake: FakeTelegram, params: dict[str, Any], description: str
) -> None:
    status, body = await call(fake, "sendMessage", chat_id=USER, **params)
    assert status == 400
    assert description in body["description"]


async def test_the_limit_is_counted_after_entity_parsing_in_utf16(fake: FakeTelegram) -> None:
    markup = "<b>" + "&amp;" * 4096 + "</b>"  # 4,096 visible characters in 20,000 bytes
    status, body = await call(fake, "sendMessage", chat_id=USER, text=markup, parse_mode="HTML")
    assert status == 200
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4096}]
    fake.advance(1)
    status, _ = await call(fake, "sendMessage", chat_id=USER, text="😀" * 2049)
    assert status == 400


async def test_429_carries_retry_after(fake: FakeTelegram) -> None:
    assert (await call(fake, "sendMessage", chat_id=USER, text="a"))[0] == 200
    status, body = await call(fake, "sendMessage", chat_id=USER, text="b")
    assert status == 429
    assert body["parameters"] == {"retry_after": 1}

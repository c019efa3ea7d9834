"""Start, stop and configuration: webhook mode with its secret, and refusals at start."""

from __future__ import annotations

import io
import logging
from typing import Any

import aiohttp
import pytest

from adapters.telegram import TelegramAdapter, TelegramConfig
from bot.core.domain import Destination
from bot.core.errors import ConfigError
from tests.adapters.telegram.tg_world import ADA, SECRET, World, free_port


async def webhook_adapter(world: World) -> tuple[TelegramAdapter, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    adapter = await world.adapter(secret=SECRET, mode="webhook", webhook_url=url, webhook_port=port)
    return adapter, url


async def test_webhook_mode_registers_the_hook_and_answers_pushed_updates(world: World) -> None:
    _, url = await webhook_adapter(world)
    hook = world.fake.webhook
    assert hook is not None
    assert (hook["url"], hook["secret_token"]) == (url, SECRET)
    assert set(hook["allowed_updates"]) >= {"message", "callback_query", "my_chat_member"}
    world.fake.user_message(ADA, ADA, "/subscribe marrowby")
    await world.fake.wait_for(lambda: world.fake.sent_to(ADA))
    assert "Subscribed" in world.fake.sent_to(ADA)[0]["text"]
    assert world.fake.webhook_deliveries == [200]
    subs = await world.storage.subscriptions_for(Destination("telegram", str(ADA)))
    assert [s.topic for s in subs] == ["marrowby"]
    assert not [c for c in world.fake.calls if c[0] == "getUpdates"]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b"{}", 403),
        ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, b"{}", 403),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}, b"{}", 403),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b"{not json", 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b"[1, 2]", 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b'{"update_id": "1"}', 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b'{"update_id": 1, "message": 5}', 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b"x" * 2_000_000, 413),
    ],
)
async def test_the_webhook_refuses_strangers_and_garbage(
    world: World, headers: dict[str, str], body: bytes, status: int
) -> None:
    adapter, url = await webhook_adapter(world)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=io.BytesIO(body), headers=headers) as resp,
    ):
        assert resp.status == status
    assert adapter.handler_errors == []
    assert world.fake.sent == []


async def test_a_forged_update_with_the_wrong_secret_is_never_handled(world: World) -> None:
    _, url = await webhook_adapter(world)
    update = {
        "update_id": 99,
        "message": {
            "message_id": 1, "date": 1, "text": "/subscribe marrowby",
            "chat": {"id": ADA, "type": "private", "first_name": "Ada"},
            "from": {"id": ADA, "is_bot": False, "first_name": "Ada"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        },
    }  # fmt: skip
    async with aiohttp.ClientSession() as session:
        headers = {"X-Telegram-Bot-Api-Secret-Token": "nope"}
        async with session.post(url, json=update, headers=headers) as resp:
            assert resp.status == 403
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(url, json=update, headers=headers) as resp:
            assert resp.status == 200
    await world.fake.wait_for(lambda: world.fake.sent_to(ADA))
    assert len(world.fake.sent_to(ADA)) == 1  # only the genuine one was answered


async def test_an_unreachable_api_fails_at_start_with_a_config_error(world: World) -> None:
    config = world.config(base_url=f"http://127.0.0.1:{free_port()}/bot")
    adapter = TelegramAdapter(config, token=world.fake.token, commands=world.commands)
    with pytest.raises(ConfigError, match=r"telegram\.base_url"):
        await adapter.start()
    await adapter.stop()


@pytest.mark.parametrize(
    ("overrides", "token", "secret", "key"),
    [
        ({}, "", None, "NEWSBOT_TELEGRAM_TOKEN"),
        ({}, "12:ab cd", None, "NEWSBOT_TELEGRAM_TOKEN"),
        ({"mode": "push"}, "1:a", None, "telegram.mode"),
        ({"base_url": "api.telegram.org/bot"}, "1:a", None, "telegram.base_url"),
        ({"mode": "webhook", "webhook_url": "https://x.example/h"}, "1:a", None,
         "NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
        ({"mode": "webhook", "webhook_url": "https://x.example/h"}, "1:a", "bad secret!",
         "NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
        ({"mode": "webhook", "webhook_url": "http://x.example/h"}, "1:a", "ok",
         "telegram.webhook_url"),
        ({"mode": "webhook", "webhook_url": "https://x.example/h", "webhook_path": "h"}, "1:a",
         "ok", "telegram.webhook_path"),
    ],
)  # fmt: skip
def test_wrong_configuration_names_the_key(
    overrides: dict[str, Any], token: str, secret: str | None, key: str
) -> None:
    with pytest.raises(ConfigError, match=key):
        TelegramConfig(**overrides).validate(token=token, webhook_secret=secret)


def test_a_self_hosted_api_may_call_a_plain_http_webhook() -> None:
    config = TelegramConfig(
        base_url="http://bot-api.internal:8081/bot",
        mode="webhook",
        webhook_url="http://newsbot.internal:8443/telegram",
    )
    config.validate(token="1:a", webhook_secret="ok")


async def test_the_token_never_reaches_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await world.adapter()
    world.fake.user_message(ADA, ADA, "/help")
    await world.fake.wait_for(lambda: world.fake.sent_to(ADA))
    assert any("getMe" in r.getMessage() for r in caplog.records)  # httpx did log the URLs
    assert not [r for r in caplog.records if world.fake.token in r.getMessage()]


async def test_a_busy_webhook_port_is_a_config_error_and_nothing_is_left_open(
    world: World,
) -> None:
    first, url = await webhook_adapter(world)
    port = first.config.webhook_port
    second = TelegramAdapter(
        world.config(mode="webhook", webhook_url=url, webhook_port=port),
        token=world.fake.token,
        commands=world.commands,
        webhook_secret=SECRET,
    )
    with pytest.raises(ConfigError, match=r"telegram\.webhook_port"):
        await second.start()
    assert not second.app.running

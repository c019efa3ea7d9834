"""A fake Discord: REST API and gateway on 127.0.0.1, for the real discord.py client.

It keeps guilds, channels and messages in memory, validates what Discord validates
(sizes, permissions, the 3-second interaction deadline, nonces, rate limits) and records
every request so tests assert on what the bot actually sent.

The fake is layered, one concept per module: ``fake_discord_payloads`` (ids, JSON helpers,
limits), ``fake_discord_rest`` (the world and REST routes), ``fake_discord_gateway`` (the
websocket) and ``fake_discord_interactions`` (slash commands, buttons and their answers);
this module wires the routes and is the one tests import.
"""

from __future__ import annotations

from aiohttp import web

from tests.fakes.fake_discord_interactions import DiscordInteractions
from tests.fakes.fake_discord_payloads import (
    ALL_PERMISSIONS,
    APP_ID,
    BOT_ID,
    MANAGE_CHANNELS,
    MEMBER_PERMISSIONS,
    TOKEN,
    Interaction,
    error,
    json_response,
)

__all__ = [
    "ALL_PERMISSIONS",
    "APP_ID",
    "BOT_ID",
    "MANAGE_CHANNELS",
    "MEMBER_PERMISSIONS",
    "TOKEN",
    "FakeDiscord",
    "Interaction",
    "error",
    "json_response",
]


class FakeDiscord(DiscordInteractions):
    """The whole fake: REST, gateway and interactions served from one aiohttp app."""

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{aid}/{name}", self._attachment)
        r = app.router
        base = "/api/v10"
        r.add_get(base + "/users/@me", self._me)
        r.add_get(base + "/oauth2/applications/@me", self._app_info)
        r.add_get(base + "/gateway/bot", self._gateway_bot)
        r.add_put(base + "/applications/{app}/commands", self._sync)
        r.add_put(base + "/applications/{app}/guilds/{guild}/commands", self._sync)
        r.add_post(base + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(base + "/webhooks/{app}/{token}", self._followup)
        r.add_patch(base + "/webhooks/{app}/{token}/messages/{mid}", self._edit_original)
        r.add_get(base + "/channels/{cid}", self._get_channel)
        r.add_post(base + "/channels/{cid}/messages", self._create_message)
        r.add_patch(base + "/channels/{cid}/messages/{mid}", self._edit_message)
        r.add_post(base + "/channels/{cid}/messages/{mid}/crosspost", self._crosspost)
        r.add_post(base + "/channels/{cid}/threads", self._create_thread)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

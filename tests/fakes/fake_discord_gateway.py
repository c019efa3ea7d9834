"""The fake Discord's gateway: the websocket discord.py connects to, with HELLO, heartbeat
ACKs, IDENTIFY checked against the bot token, READY and one GUILD_CREATE per guild, and the
events a test dispatches to the connected clients (a guild removed, a channel deleted, an
interaction created).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.fake_discord_payloads import ALL_PERMISSIONS, APP_ID, TOKEN, bot_user, now_iso
from tests.fakes.fake_discord_rest import DiscordRest


class DiscordGateway(DiscordRest):
    """The REST fake plus the websocket that tells the client what happened."""

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": self._seq, "d": data})
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(frame)

    async def remove_guild(self, guild_id: int) -> None:
        await self.dispatch("GUILD_DELETE", {"id": str(guild_id)})

    async def delete_channel(self, channel_id: int) -> None:
        data = self.channels.pop(channel_id)
        await self.dispatch("CHANNEL_DELETE", data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                self.identifies += 1
                await self._ready(ws, frame["d"])
        self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        if identify.get("token") != TOKEN:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self._seq += 1
        await ws.send_str(
            json.dumps(
                {
                    "op": 0,
                    "t": "READY",
                    "s": self._seq,
                    "d": {
                        "v": 10,
                        "user": bot_user(),
                        "session_id": f"s{self.identifies}",
                        "resume_gateway_url": self.gateway_url,
                        "shard": identify.get("shard", [0, 1]),
                        "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                        "application": {"id": str(APP_ID), "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                    },
                }
            )
        )
        for gid in self.guilds:
            self._seq += 1
            await ws.send_str(
                json.dumps(
                    {"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": self._guild_payload(gid)}
                )
            )

    def _guild_payload(self, gid: int) -> dict[str, Any]:
        g = self.guilds[gid]
        mine = [c for c in self.channels.values() if c.get("guild_id") == str(gid)]
        return {
            **g,
            "owner_id": "1",
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "joined_at": now_iso(),
            "roles": [
                {
                    "id": str(gid),
                    "name": "@everyone",
                    "permissions": str(ALL_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                *(
                    {k: v for k, v in role.items() if k != "guild_id"}
                    for role in self.roles.values()
                    if role["guild_id"] == gid
                ),
            ],
            "channels": [c for c in mine if c["type"] not in (11, 12)],
            "threads": [c for c in mine if c["type"] in (11, 12)],
            "members": [
                {
                    "user": bot_user(),
                    "roles": [],
                    "joined_at": now_iso(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "voice_states": [],
            "presences": [],
            "premium_tier": 0,
            "verification_level": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
        }

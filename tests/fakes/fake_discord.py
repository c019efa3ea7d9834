"""A fake Discord: REST API and gateway on 127.0.0.1, for the real discord.py client.

It keeps guilds, channels and messages in memory, validates what Discord validates
(sizes, permissions, the 3-second interaction deadline, nonces, rate limits) and records
every request so tests assert on what the bot actually sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_ID = 900_000_000_000_000_001
APP_ID = 900_000_000_000_000_002
TOKEN = "fake-bot-token"
MANAGE_CHANNELS = 1 << 4
ALL_PERMISSIONS = (1 << 41) - 1
MEMBER_PERMISSIONS = ALL_PERMISSIONS & ~MANAGE_CHANNELS & ~(1 << 3) & ~(1 << 5) & ~(1 << 28)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py only parses JSON when Content-Type is exactly "application/json".
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


async def _json(request: web.Request) -> Any:
    raw = await request.read()  # aiohttp caches the body, so every handler can read it
    return json.loads(raw) if raw else None


def error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return json_response({"code": code, "message": message, **extra}, status=status)


@dataclass
class Interaction:
    id: int
    token: str
    payload: dict[str, Any]
    created: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def response(self) -> dict[str, Any]:
        """The message the user saw: the callback's, or the first follow-up after a defer."""
        for cb in self.callbacks:
            if cb["type"] == 4:
                return dict(cb.get("data") or {})
        return self.followups[0] if self.followups else {}

    @property
    def ephemeral(self) -> bool:
        flags = self.response.get("flags") or 0
        for cb in self.callbacks:
            flags |= (cb.get("data") or {}).get("flags") or 0
        return bool(flags & 64)


class FakeDiscord:
    def __init__(
        self, *, interaction_deadline_s: float = 3.0, channel_window_s: float = 5.0
    ) -> None:
        self.interaction_deadline_s = interaction_deadline_s
        self.channel_window_s = channel_window_s
        self.channel_limit = 5
        self.ids = itertools.count(1_100_000_000_000_000_000)
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.denied: set[int] = set()  # channels where the bot lost Send Messages
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.interactions: dict[int, Interaction] = {}
        self.identifies = 0
        self.force_global_429: float | None = None
        self.force_cloudflare_429 = False
        self.force_status: dict[int, int] = {}  # channel -> 5xx to answer once
        self._sent_at: dict[int, deque[float]] = defaultdict(deque)
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ setup

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
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

    def add_guild(self, name: str = "Newsroom") -> int:
        gid = next(self.ids)
        self.guilds[gid] = {"id": str(gid), "name": name, "system_channel_id": None}
        return gid

    def add_channel(
        self, guild_id: int | None, name: str, *, kind: int = 0, parent_id: int | None = None
    ) -> int:
        cid = next(self.ids)
        data: dict[str, Any] = {
            "id": str(cid),
            "type": kind,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "flags": 0,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        if parent_id is not None:
            data["parent_id"] = str(parent_id)
        if kind in (11, 12):
            data.update(
                owner_id=str(BOT_ID),
                message_count=0,
                member_count=1,
                rate_limit_per_user=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _now_iso(),
                    "locked": False,
                },
            )
        if kind == 15:
            data.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                rate_limit_per_user=0,
                topic=None,
            )
        self.channels[cid] = data
        return cid

    def set_system_channel(self, guild_id: int, channel_id: int) -> None:
        self.guilds[guild_id]["system_channel_id"] = str(channel_id)

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
            "joined_at": _now_iso(),
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
                }
            ],
            "channels": [c for c in mine if c["type"] not in (11, 12)],
            "threads": [c for c in mine if c["type"] in (11, 12)],
            "members": [
                {
                    "user": self._bot_user(),
                    "roles": [],
                    "joined_at": _now_iso(),
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

    @staticmethod
    def _bot_user() -> dict[str, Any]:
        return {
            "id": str(BOT_ID),
            "username": "newsbot",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
        }

    # ------------------------------------------------------------ REST

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway":
            result: web.StreamResponse = await handler(request)
            return result
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        self.requests.append((request.method, request.path, body))
        # Interaction callbacks and follow-ups authenticate by the interaction token alone.
        token_route = "/interactions/" in request.path or "/webhooks/" in request.path
        if not token_route and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return error(401, 0, "401: Unauthorized")
        if self.force_cloudflare_429:
            self.force_cloudflare_429 = False
            return web.Response(status=429, text="error code: 1015", headers={"Retry-After": "2"})
        if self.force_global_429 is not None:
            retry, self.force_global_429 = self.force_global_429, None
            return json_response(
                {"message": "You are being rate limited.", "retry_after": retry, "global": True},
                status=429,
                headers={
                    "Via": "1.1 google",
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": str(retry),
                },
            )
        response: web.StreamResponse = await handler(request)
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(self._bot_user())

    async def _app_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(APP_ID),
                "name": "newsbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "00",
                "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": None},
                "flags": 0,
                "team": None,
                "interactions_endpoint_url": None,
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild", "global")
        created = [
            {
                **c,
                "id": str(next(self.ids)),
                "application_id": str(APP_ID),
                "version": "1",
                "default_member_permissions": c.get("default_member_permissions"),
            }
            for c in await _json(request)
        ]
        self.commands[scope] = created
        return json_response(created)

    def _message(self, cid: int, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
        channel = self.channels.get(cid, {})
        msg: dict[str, Any] = {
            "id": str(next(self.ids)),
            "channel_id": str(cid),
            "author": self._bot_user(),
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "type": 0,
            "flags": flags | (body.get("flags") or 0),
            "nonce": body.get("nonce"),
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if channel.get("guild_id"):
            msg["guild_id"] = channel["guild_id"]
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
        return msg

    @staticmethod
    def validate(body: dict[str, Any]) -> dict[str, Any] | None:
        """Discord's size limits; the errors of a 400/50035 or None."""
        problems: dict[str, Any] = {}
        if len(body.get("content") or "") > 2000:
            problems["content"] = "Must be 2000 or fewer in length."
        embeds = body.get("embeds") or []
        total = 0
        for e in embeds:
            sizes = {"title": 256, "description": 4096}
            for key, limit in sizes.items():
                if len(e.get(key) or "") > limit:
                    problems[f"embed.{key}"] = f"Must be {limit} or fewer in length."
            fields = e.get("fields") or []
            if len(fields) > 25:
                problems["embed.fields"] = "Must be 25 or fewer in length."
            for f in fields:
                if not f.get("name") or not f.get("value"):
                    problems["embed.fields.value"] = "This field is required"
                if len(f["name"]) > 256 or len(f["value"]) > 1024:
                    problems["embed.fields.size"] = "Too long."
            footer = (e.get("footer") or {}).get("text") or ""
            if len(footer) > 2048:
                problems["embed.footer"] = "Must be 2048 or fewer in length."
            total += len(e.get("title") or "") + len(e.get("description") or "") + len(footer)
            total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
        if total > 6000:
            problems["embeds"] = "Embed size exceeds maximum size of 6000"
        rows = body.get("components") or []
        if len(rows) > 5:
            problems["components"] = "Must be 5 or fewer in length."
        for row in rows:
            for comp in row.get("components", []):
                if len(comp.get("custom_id", "")) > 100 or len(comp.get("label", "")) > 80:
                    problems["components.size"] = "Too long."
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            problems["nonce"] = "Must be 25 or fewer in length."
        if not (body.get("content") or embeds or rows):
            problems["message"] = "Cannot send an empty message"
        return problems or None

    def _rate_headers(self, cid: int) -> tuple[dict[str, str], float | None]:
        now = time.monotonic()
        sent = self._sent_at[cid]
        while sent and now - sent[0] >= self.channel_window_s:
            sent.popleft()
        reset_after = self.channel_window_s - (now - sent[0]) if sent else self.channel_window_s
        if len(sent) >= self.channel_limit:
            return {}, max(reset_after, 0.01)
        sent.append(now)
        remaining = self.channel_limit - len(sent)
        return {
            "X-RateLimit-Limit": str(self.channel_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"channel-messages-{cid}",
        }, None

    def _channel_problem(self, cid: int) -> web.Response | None:
        if cid not in self.channels:
            return error(404, 10003, "Unknown Channel")
        if cid in self.denied:
            return error(403, 50013, "Missing Permissions")
        status = self.force_status.pop(cid, None)
        if status is not None:
            return error(status, 0, "Service Unavailable")
        return None

    async def _create_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        body = await _json(request)
        problem = self._channel_problem(cid)
        if problem is not None:
            return problem
        if self.channels[cid]["type"] == 15:
            return error(400, 50008, "Cannot send messages in a non-text channel")
        invalid = self.validate(body)
        if invalid is not None:
            return error(400, 50035, "Invalid Form Body", errors=invalid)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for old in self.messages[cid]:
                if old["nonce"] == str(nonce):
                    return json_response(old)
        headers, retry_after = self._rate_headers(cid)
        if retry_after is not None:
            return json_response(
                {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": False,
                },
                status=429,
                headers={
                    "Via": "1.1 google",
                    "Retry-After": str(retry_after),
                    "X-RateLimit-Scope": "user",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Bucket": f"channel-messages-{cid}",
                },
            )
        msg = self._message(cid, body)
        self.messages[cid].append(msg)
        return json_response(msg, headers=headers)

    async def _edit_message(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["cid"]), request.match_info["mid"]
        problem = self._channel_problem(cid)
        if problem is not None:
            return problem
        body = await _json(request)
        for msg in self.messages[cid]:
            if msg["id"] == mid:
                for key in ("content", "embeds", "components"):
                    if key in body:
                        msg[key] = body[key] or ([] if key != "content" else "")
                msg["edited_timestamp"] = _now_iso()
                invalid = self.validate(msg)
                if invalid is not None:
                    return error(400, 50035, "Invalid Form Body", errors=invalid)
                return json_response(msg)
        return error(404, 10008, "Unknown Message")

    async def _get_channel(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        if cid not in self.channels:
            return error(404, 10003, "Unknown Channel")
        return json_response(self.channels[cid])

    async def _create_thread(self, request: web.Request) -> web.Response:
        forum = int(request.match_info["cid"])
        problem = self._channel_problem(forum)
        if problem is not None:
            return problem
        body = await _json(request)
        starter = body.get("message") or {}
        invalid = self.validate(starter)
        if invalid is not None or len(body.get("name", "")) > 100:
            return error(400, 50035, "Invalid Form Body", errors=invalid or {"name": "Too long"})
        guild = self.channels[forum].get("guild_id")
        tid = self.add_channel(
            int(guild) if guild else None, body["name"], kind=11, parent_id=forum
        )
        msg = self._message(tid, starter)
        msg["id"] = str(tid)  # a forum post's starter message has the thread's id
        self.messages[tid].append(msg)
        return json_response({**self.channels[tid], "message": msg}, status=201)

    # ------------------------------------------------------------ interactions

    async def _callback(self, request: web.Request) -> web.Response:
        inter = self.interactions.get(int(request.match_info["id"]))
        if inter is None or inter.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        if inter.callbacks:
            return error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter.created > self.interaction_deadline_s:
            return error(404, 10062, "Unknown interaction")
        body = await _json(request)
        data = body.get("data") or {}
        if body["type"] == 4:
            invalid = self.validate(data)
            if invalid is not None:
                return error(400, 50035, "Invalid Form Body", errors=invalid)
        inter.callbacks.append(body)
        if body["type"] != 5:
            inter.answered.set()
        result: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.payload["type"],
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        }
        if body["type"] == 4:
            msg = self._message(int(inter.payload["channel_id"]), data)
            result["interaction"]["response_message_id"] = msg["id"]
            result["resource"] = {"type": 4, "message": msg}
        return json_response(result)

    async def _followup(self, request: web.Request) -> web.Response:
        inter = next(
            (i for i in self.interactions.values() if i.token == request.match_info["token"]), None
        )
        if inter is None or not inter.callbacks:
            return error(404, 10015, "Unknown Webhook")
        body = await _json(request)
        invalid = self.validate(body)
        if invalid is not None:
            return error(400, 50035, "Invalid Form Body", errors=invalid)
        msg = self._message(int(inter.payload["channel_id"]), body)
        inter.followups.append(msg)
        inter.answered.set()
        return json_response(msg)

    async def _edit_original(self, request: web.Request) -> web.Response:
        return await self._followup(request)

    def _interaction(
        self,
        kind: int,
        channel_id: int,
        data: dict[str, Any],
        *,
        user_id: int,
        permissions: int,
        message: dict[str, Any] | None,
    ) -> Interaction:
        channel = self.channels[channel_id]
        guild_id = channel.get("guild_id")
        iid = next(self.ids)
        user = {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "token": f"tok{iid}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": str(ALL_PERMISSIONS),
            "attachment_size_limit": 8388608,
        }
        if guild_id is not None:
            payload.update(
                guild_id=guild_id,
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": guild_id},
                member={
                    "user": user,
                    "roles": [],
                    "joined_at": _now_iso(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(permissions),
                },
            )
        else:
            payload.update(user=user, context=1, authorizing_integration_owners={"0": str(user_id)})
        if message is not None:
            payload["message"] = message
        inter = Interaction(iid, payload["token"], payload, time.monotonic())
        self.interactions[iid] = inter
        return inter

    async def slash(
        self,
        channel_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int = 555,
        can_manage: bool = True,
    ) -> Interaction:
        """A person runs ``/name`` with ``options``; returns the interaction to wait on."""
        cmd = self._command(name)
        types = {o["name"]: o["type"] for o in cmd.get("options", [])}
        data = {
            "id": cmd["id"],
            "name": name,
            "type": 1,
            "options": [
                {"name": k, "type": types[k], "value": v} for k, v in (options or {}).items()
            ],
        }
        inter = self._interaction(
            2,
            channel_id,
            data,
            user_id=user_id,
            permissions=ALL_PERMISSIONS if can_manage else MEMBER_PERMISSIONS,
            message=None,
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    async def autocomplete(
        self,
        channel_id: int,
        name: str,
        focused: str,
        current: str,
        others: dict[str, Any] | None = None,
    ) -> Interaction:
        cmd = self._command(name)
        types = {o["name"]: o["type"] for o in cmd.get("options", [])}
        opts = [{"name": k, "type": types[k], "value": v} for k, v in (others or {}).items()]
        opts.append({"name": focused, "type": types[focused], "value": current, "focused": True})
        data = {"id": cmd["id"], "name": name, "type": 1, "options": opts}
        inter = self._interaction(
            4, channel_id, data, user_id=555, permissions=ALL_PERMISSIONS, message=None
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    async def click(
        self, message: dict[str, Any], custom_id: str, *, user_id: int = 556
    ) -> Interaction:
        data = {"custom_id": custom_id, "component_type": 2}
        inter = self._interaction(
            3,
            int(message["channel_id"]),
            data,
            user_id=user_id,
            permissions=MEMBER_PERMISSIONS,
            message=message,
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    def _command(self, name: str) -> dict[str, Any]:
        for scope in self.commands.values():
            for cmd in scope:
                if cmd["name"] == name:
                    return cmd
        raise KeyError(f"command /{name} was not synced")

    # ------------------------------------------------------------ gateway

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
                        "user": self._bot_user(),
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

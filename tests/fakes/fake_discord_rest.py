"""The fake Discord's in-memory world and its REST API: guilds, channels and messages, the
auth and forced-429 middleware that records every request, command sync, message create and
edit with Discord's validation, nonces, per-channel rate limits and forced 5xx answers, and
forum posts. The gateway and interactions build on this class.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

from tests.fakes.fake_discord_payloads import (
    APP_ID,
    BOT_ID,
    TOKEN,
    Interaction,
    bot_user,
    error,
    json_response,
    now_iso,
    read_json,
    validate_commands,
    validate_message,
)


class DiscordRest:
    """The world the fake keeps (all of it, in one place) and the REST routes over it."""

    def __init__(
        self,
        *,
        interaction_deadline_s: float = 3.0,
        channel_window_s: float = 5.0,
        nonce_window_s: float = 180.0,
    ) -> None:
        self.interaction_deadline_s = interaction_deadline_s
        self.channel_window_s = channel_window_s
        # Discord checks a nonce "for uniqueness in the past few minutes" only: after this
        # the same nonce makes a second message, as it would there.
        self.nonce_window_s = nonce_window_s
        self._nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self.channel_limit = 5
        self.ids = itertools.count(1_100_000_000_000_000_000)
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.denied: set[int] = set()  # channels where the bot lost Send Messages
        self.roles: dict[int, dict[str, Any]] = {}  # role id -> role (with its guild_id)
        self.uploads: dict[int, dict[str, Any]] = {}  # attachment id -> attachment + "_data"
        self.crossposted: list[str] = []  # message ids published to followers
        self.crosspost_limit = 10  # publishes per channel per hour, as Discord allows
        self._published_at: dict[int, deque[float]] = defaultdict(deque)
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

    # ------------------------------------------------------------ the world

    def add_guild(self, name: str = "Newsroom") -> int:
        gid = next(self.ids)
        self.guilds[gid] = {"id": str(gid), "name": name, "system_channel_id": None}
        return gid

    def add_role(self, guild_id: int, name: str, *, mentionable: bool) -> int:
        rid = next(self.ids)
        self.roles[rid] = {
            "id": str(rid), "name": name, "permissions": "0", "position": 1, "color": 0,
            "hoist": False, "managed": False, "mentionable": mentionable, "flags": 0,
            "guild_id": guild_id,
        }  # fmt: skip
        return rid

    def add_attachment(self, data: bytes, filename: str) -> int:
        """A file a person attaches to a slash command, served at its CDN-like url."""
        aid = next(self.ids)
        url = f"http://127.0.0.1:{self.port}/attachments/{aid}/{filename}"
        self.uploads[aid] = {
            "id": str(aid), "filename": filename, "size": len(data), "url": url,
            "proxy_url": url, "content_type": "text/x-opml", "_data": data,
        }  # fmt: skip
        return aid

    async def _attachment(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(int(request.match_info["aid"]))
        return web.Response(status=404) if upload is None else web.Response(body=upload["_data"])

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
                    "archive_timestamp": now_iso(),
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

    # ------------------------------------------------------------ REST

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway" or request.path.startswith("/attachments/"):
            result: web.StreamResponse = await handler(request)  # the CDN needs no token
            return result
        body: Any = None
        if request.content_type.startswith("multipart/"):
            body = {"multipart": True}  # the handler reads the parts
        elif request.can_read_body:
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
        return json_response(bot_user())

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
        wanted = await read_json(request)
        invalid = validate_commands(wanted)
        if invalid is not None:
            return error(400, 50035, "Invalid Form Body", errors=invalid)
        created = [
            {
                **c,
                "id": str(next(self.ids)),
                "application_id": str(APP_ID),
                "version": "1",
                "default_member_permissions": c.get("default_member_permissions"),
            }
            for c in wanted
        ]
        self.commands[scope] = created
        return json_response(created)

    def _message(self, cid: int, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
        channel = self.channels.get(cid, {})
        msg: dict[str, Any] = {
            "id": str(next(self.ids)),
            "channel_id": str(cid),
            "author": bot_user(),
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "timestamp": now_iso(),
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

    # Also on the class because tests check payloads with ``FakeDiscord.validate``.
    validate = staticmethod(validate_message)

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
        body = await read_json(request)
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
            seen = self._nonces.get((cid, str(nonce)))
            if seen is not None and time.monotonic() - seen[0] < self.nonce_window_s:
                return json_response(seen[1])
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
        if nonce is not None:
            self._nonces[(cid, str(nonce))] = (time.monotonic(), msg)
        return json_response(msg, headers=headers)

    async def _crosspost(self, request: web.Request) -> web.Response:
        """Publish a message of an announcement channel; Discord allows few per hour."""
        cid, mid = int(request.match_info["cid"]), request.match_info["mid"]
        problem = self._channel_problem(cid)
        if problem is not None:
            return problem
        found = next((m for m in self.messages[cid] if m["id"] == mid), None)
        if found is None:
            return error(404, 10008, "Unknown Message")
        if self.channels[cid]["type"] != 5:
            return error(400, 40033, "This message has already been crossposted.")
        now = time.monotonic()
        window = self._published_at[cid]
        while window and now - window[0] >= 3600:
            window.popleft()
        if len(window) >= self.crosspost_limit:
            retry = 3600 - (now - window[0])
            return json_response(
                {"message": "You are being rate limited.", "retry_after": retry, "global": False},
                status=429,
                headers={
                    "Retry-After": f"{retry:.0f}",
                    "X-RateLimit-Scope": "shared",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Bucket": f"crosspost-{cid}",
                },
            )
        window.append(now)
        self.crossposted.append(mid)
        found["flags"] = found.get("flags", 0) | 1  # CROSSPOSTED
        return json_response(found)

    async def _edit_message(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["cid"]), request.match_info["mid"]
        problem = self._channel_problem(cid)
        if problem is not None:
            return problem
        body = await read_json(request)
        for msg in self.messages[cid]:
            if msg["id"] == mid:
                for key in ("content", "embeds", "components"):
                    if key in body:
                        msg[key] = body[key] or ([] if key != "content" else "")
                msg["edited_timestamp"] = now_iso()
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
        body = await read_json(request)
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

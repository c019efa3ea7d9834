"""A fake Telegram Bot API server for tests (aiohttp on 127.0.0.1).

It behaves like Telegram where our adapter could get it wrong: form-encoded requests
with JSON-encoded non-string values, getUpdates long polling with offsets, full Message
results, strict HTML parsing, 400 for text over 4,096 UTF-16 units, callback data over
64 bytes or bad markup, 429 with ``retry_after`` past per-chat (1/s), per-group (20/min)
or global (30/s) limits, 403 once the bot was blocked or removed, webhook delivery with
a secret token. Time for the rate limits is a fake clock the test advances.

The fake is split by concept: ``fake_telegram_parsing`` reads and checks what the bot sends
(parameters, HTML, keyboards, ``ApiError``), ``fake_telegram_world`` holds the simulated chats,
people, updates and clock, and this module is the server: its Bot API methods and the rules
that need the world (who may write where, rate limits, webhook delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.fake_telegram_parsing import (
    ALLOWED_TAGS,
    ApiError,
    Json,
    keyboard,
    parse_html,
    read_params,
    utf16,
)
from tests.fakes.fake_telegram_world import BOT_ID, Chat, TelegramWorld, member, public

__all__ = [
    "ALLOWED_TAGS",
    "BOT_ID",
    "ApiError",
    "Chat",
    "FakeTelegram",
    "Json",
    "Limits",
    "parse_html",
    "utf16",
]


@dataclass
class Limits:
    per_chat_s: float = 1.0
    per_group_per_min: int = 20
    global_per_s: int = 30


class FakeTelegram(TelegramWorld):
    """The server, the world it simulates, and what the bot did in it."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",  # noqa: S107 - the fake's own token
        limits: Limits | None = None,
    ) -> None:
        super().__init__()
        self.token, self.limits = token, limits or Limits()
        self.allowed_tags = dict(ALLOWED_TAGS)
        self.calls: list[tuple[str, Json]] = []
        self.command_lists: dict[str, list[Json]] = {}  # by language_code, "" for the default
        self.refusals: list[tuple[str, int, str]] = []  # (method, status, description)
        self.webhook: Json | None = None
        self.webhook_deliveries: list[int] = []  # HTTP statuses our webhook answered
        self._sent_at: dict[int, deque[float]] = defaultdict(deque)
        self._global: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._closing = False
        self.port = 0

    # ------------------------------------------------------------ server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        self._closing = True
        async with self._arrived:
            self._arrived.notify_all()
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner is not None:
            await self._runner.cleanup()

    async def _file(self, request: web.Request) -> web.Response:
        """A file's bytes, as Telegram's file server hands them out after getFile."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        data = self.files.get(request.match_info["path"].removeprefix("documents/"))
        return web.Response(status=404) if data is None else web.Response(body=data)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)  # fmt: skip
        params = await read_params(request)
        self.calls.append((method, params))
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found"}, status=404)  # fmt: skip
        try:
            result = await handler(params)
        except ApiError as err:
            self.refusals.append((method, err.code, err.description))
            body: Json = {"ok": False, "error_code": err.code, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
            return web.json_response(body, status=err.code)
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------ methods

    async def api_getMe(self, params: Json) -> Json:
        return self.bot

    async def api_setMyCommands(self, params: Json) -> bool:
        commands = params["commands"]
        for cmd in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", cmd.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(cmd.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        self.command_lists[language] = commands  # "" is the list for every other language
        if not language:
            self.commands = commands
        return True

    async def api_getUpdates(self, params: Json) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = int(params.get("offset", 0))
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        allowed = params.get("allowed_updates")
        timeout = float(params.get("timeout", 0))
        async with self._arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: bool(self._updates) or self._closing), timeout
                )
        found = list(self._updates)[: int(params.get("limit", 100))]
        if allowed:
            found = [u for u in found if any(k in u for k in allowed)]
        return found

    async def api_deleteWebhook(self, params: Json) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def api_setWebhook(self, params: Json) -> bool:
        secret = params.get("secret_token", "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = params
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if self._pusher is None:
            self._pusher = asyncio.get_running_loop().create_task(self._push_webhook())
        return True

    async def api_getWebhookInfo(self, params: Json) -> Json:
        url = self.webhook["url"] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}  # fmt: skip

    async def api_getChat(self, params: Json) -> Json:
        chat = self._chat(params["chat_id"])
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {**chat.json(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}  # fmt: skip

    async def api_getChatMember(self, params: Json) -> Json:
        chat = self._chat(params["chat_id"])
        user_id = int(params["user_id"])
        if user_id == BOT_ID:
            return member(self.bot, chat.bot_status)
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return member(user, "administrator" if user_id in chat.admins else "member")

    async def api_answerCallbackQuery(self, params: Json) -> bool:
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if params["callback_query_id"] in self.expired_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                           "or query ID is invalid")  # fmt: skip
        url = params.get("url")
        if url is not None and not url.startswith(f"https://t.me/{self.bot['username']}?start="):
            raise ApiError(400, "Bad Request: URL_INVALID")  # only the bot's own deep links
        self.answers.append(params)
        return True

    async def api_getFile(self, params: Json) -> Json:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(self.files[file_id])
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                "file_path": f"documents/{file_id}"}  # fmt: skip

    async def api_sendDocument(self, params: Json) -> Json:
        chat = self._writable(params["chat_id"])
        upload = params.get("document")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "Bad Request: there is no document in the request")
        data = upload.file.read()
        self._rate(chat)
        msg = self._message(chat.id, self.bot, None)
        file_id = f"doc{len(self.files) + 1}"
        self.files[file_id] = data
        msg["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                           "file_name": upload.filename, "file_size": len(data)}  # fmt: skip
        if params.get("caption"):
            msg["caption"] = params["caption"]
        reply = params.get("reply_parameters")
        if reply:
            replied = self.messages.get((chat.id, int(reply["message_id"])))
            if replied is not None:
                msg["reply_to_message"] = public(replied)
        self.sent.append(msg)
        return public(msg)

    async def api_sendMessage(self, params: Json) -> Json:
        chat = self._writable(params["chat_id"])
        text, entities = self._text(params)
        markup = keyboard(params.get("reply_markup"))
        reply = params.get("reply_parameters")
        thread = params.get("message_thread_id")
        if thread is not None and not chat.is_forum:
            raise ApiError(400, "Bad Request: message thread not found")
        self._rate(chat)
        msg = self._message(chat.id, self.bot, text,
                            thread_id=int(thread) if thread is not None else None)  # fmt: skip
        if entities:
            msg["entities"] = entities
        if markup:
            msg["reply_markup"] = markup
        if reply:
            target = self.messages.get((chat.id, int(reply["message_id"])))
            if target is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if target is not None:
                msg["reply_to_message"] = public(target)
        msg["_request"] = params  # what the bot asked for, for assertions
        self.sent.append(msg)
        return public(msg)

    async def api_editMessageText(self, params: Json) -> Json:
        chat = self._writable(params["chat_id"])
        msg = self.messages.get((chat.id, int(params["message_id"])))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != BOT_ID:
            raise ApiError(400, "Bad Request: message can't be edited")
        text, entities = self._text(params)
        markup = keyboard(params.get("reply_markup"))
        if (
            text == msg.get("text")
            and entities == msg.get("entities", [])
            and markup == msg.get("reply_markup")
        ):
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                           "content and reply markup are exactly the same")  # fmt: skip
        self._rate(chat)
        msg.update(text=text, entities=entities, edit_date=self._date(), _request=params)
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        self.edits.append(msg)
        return public(msg)

    # ------------------------------------------------------------ rules

    def _chat(self, raw: Any) -> Chat:
        key = str(raw)
        for chat in self.chats.values():
            if str(chat.id) == key or (chat.username and key == f"@{chat.username}"):
                return chat
        raise ApiError(400, "Bad Request: chat not found")

    def _writable(self, raw: Any) -> Chat:
        chat = self._chat(raw)
        if chat.migrated_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat.migrated_to})  # fmt: skip
        if chat.bot_status == "kicked":
            who = "blocked by the user" if chat.type == "private" else "kicked from the group chat"
            raise ApiError(403, f"Forbidden: bot was {who}")
        if chat.bot_status == "left":
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        if chat.type == "private" and not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _text(self, params: Json) -> tuple[str, list[Json]]:
        source = params.get("text", "")
        if params.get("parse_mode") == "HTML":
            text, entities = parse_html(source, self.allowed_tags)
        elif params.get("parse_mode"):
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        else:
            text, entities = source, []
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _rate(self, chat: Chat) -> None:
        times = self._sent_at[chat.id]
        while self._global and self._global[0] <= self.now - 1:
            self._global.popleft()
        if len(self._global) >= self.limits.global_per_s:
            raise _too_many(self._global[0] + 1 - self.now)
        if times and self.now - times[-1] < self.limits.per_chat_s:
            raise _too_many(times[-1] + self.limits.per_chat_s - self.now)
        if chat.type != "private":
            recent = [t for t in times if t > self.now - 60]
            if len(recent) >= self.limits.per_group_per_min:
                raise _too_many(recent[0] + 60 - self.now)
        now = self.now
        times.append(now)
        self._global.append(now)

    async def _push_webhook(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                async with self._arrived:
                    await self._arrived.wait_for(lambda: bool(self._updates) or self._closing)
                if self._closing or self.webhook is None:
                    return
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook.get("secret_token", "")}
                try:
                    async with session.post(self.webhook["url"], json=update,
                                            headers=headers) as resp:  # fmt: skip
                        self.webhook_deliveries.append(resp.status)
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    self._updates.popleft()
                else:
                    await asyncio.sleep(0.05)


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

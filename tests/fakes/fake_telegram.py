"""A fake Telegram Bot API server for tests (aiohttp on 127.0.0.1).

It behaves like Telegram where our adapter could get it wrong: form-encoded requests
with JSON-encoded non-string values, getUpdates long polling with offsets, full Message
results, strict HTML parsing, 400 for text over 4,096 UTF-16 units, callback data over
64 bytes or bad markup, 429 with ``retry_after`` past per-chat (1/s), per-group (20/min)
or global (30/s) limits, 403 once the bot was blocked or removed, webhook delivery with
a secret token. Time for the rate limits is a fake clock the test advances.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

Json = dict[str, Any]
BOT_ID = 7000001
ALLOWED_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_TOKEN = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[<>&]"
)
_HREF = re.compile(r"""^\s+href\s*=\s*(?:"([^"]*)"|'([^']*)')\s*$""")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class Limits:
    per_chat_s: float = 1.0
    per_group_per_min: int = 20
    global_per_s: int = 30


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str = ""
    username: str | None = None
    is_forum: bool = False
    admins: set[int] = field(default_factory=set)
    bot_status: str = "member"  # member | administrator | left | kicked
    migrated_to: int | None = None

    def json(self) -> Json:
        data: Json = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.title or "User"
        else:
            data["title"] = self.title or f"Chat {self.id}"
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str, allowed: dict[str, str] | None = None) -> tuple[str, list[Json]]:
    """Telegram's HTML: visible text and entities, or ApiError for what Telegram refuses."""
    tags = ALLOWED_TAGS if allowed is None else allowed
    out: list[str] = []
    entities: list[Json] = []
    stack: list[tuple[str, int, Json]] = []
    pos = 0
    for match in _TOKEN.finditer(source):
        out.append(source[pos : match.start()])
        pos = match.end()
        offset = utf16("".join(out))
        closing, name, attrs, entity = match.groups()
        if name is None and entity is None:
            raise _parse_error(f"Unexpected {match.group()!r} at byte offset {match.start()}")
        if entity is not None:
            if not entity.startswith("#") and entity not in {"lt", "gt", "amp", "quot"}:
                raise _parse_error(f"Unsupported HTML entity &{entity};")
            out.append(html.unescape(match.group()))
            continue
        tag = name.lower()
        if tag not in tags:
            raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {match.start()}')
        if closing:
            if not stack or stack[-1][0] != tag:
                raise _parse_error(f"Unmatched end tag at byte offset {match.start()}")
            _, start, ent = stack.pop()
            if offset > start:
                entities.append({**ent, "offset": start, "length": offset - start})
            continue
        ent = {"type": tags[tag]}
        if tag == "a":
            href = _HREF.match(attrs)
            if not href:
                raise _parse_error("Can't find href attribute of a tag")
            ent["url"] = html.unescape(href.group(1) or href.group(2) or "")
        elif attrs.strip() and tag not in {"span", "pre", "code", "blockquote"}:
            raise _parse_error(f'Unexpected attribute in tag "{tag}"')
        stack.append((tag, offset, ent))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    out.append(source[pos:])
    return "".join(out), sorted(entities, key=lambda e: e["offset"])


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


class FakeTelegram:
    """The server, the world it simulates, and what the bot did in it."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",  # noqa: S107 - the fake's own token
        limits: Limits | None = None,
    ) -> None:
        self.token, self.limits = token, limits or Limits()
        self.allowed_tags = dict(ALLOWED_TAGS)
        self.bot = {"id": BOT_ID, "is_bot": True, "first_name": "News", "username": "newsbot",
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}  # fmt: skip
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, Json] = {}
        self.messages: dict[tuple[int, int], Json] = {}
        self.sent: list[Json] = []  # messages the bot sent, in order
        self.edits: list[Json] = []
        self.answers: list[Json] = []  # answerCallbackQuery calls
        self.expired_queries: set[str] = set()
        self.commands: list[Json] = []
        self.calls: list[tuple[str, Json]] = []
        self.refusals: list[tuple[str, int, str]] = []  # (method, status, description)
        self.webhook: Json | None = None
        self.webhook_deliveries: list[int] = []  # HTTP statuses our webhook answered
        # The clock of the rate limits: moved by ``advance``, and by real time too when
        # ``real_time`` is set (for waits the adapter does by itself).
        self.real_time = False
        self._clock = 1_000.0
        self._started = time.monotonic()
        self._updates: deque[Json] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(1)
        self._arrived = asyncio.Condition()
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

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)  # fmt: skip
        params = await _params(request)
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

    # ------------------------------------------------------------ the world

    def add_user(self, user_id: int, name: str = "Ada") -> Json:
        self.users[user_id] = {"id": user_id, "is_bot": False, "first_name": name,
                               "username": name.lower()}  # fmt: skip
        self.chats.setdefault(user_id, Chat(user_id, "private", title=name))
        return self.users[user_id]

    def add_chat(self, chat_id: int, kind: str, *, admins: set[int] | None = None,
                 bot_status: str = "member", **extra: Any) -> Chat:  # fmt: skip
        self.chats[chat_id] = Chat(chat_id, kind, admins=set(admins or ()),
                                   bot_status=bot_status, **extra)  # fmt: skip
        return self.chats[chat_id]

    def user_message(self, chat_id: int, user_id: int, text: str, *, reply_to: int | None = None,
                     thread_id: int | None = None) -> Json:  # fmt: skip
        """A person writes in a chat; a leading /command gets its bot_command entity."""
        msg = self._message(chat_id, self.users[user_id], text, thread_id=thread_id)
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": utf16(text.split(maxsplit=1)[0])}]  # fmt: skip
        if reply_to is not None:
            msg["reply_to_message"] = _public(self.messages[(chat_id, reply_to)])
        self.push({"message": msg})
        return msg

    def channel_post(self, chat_id: int, text: str) -> Json:
        """An admin posts in a channel: no sender, the channel signs it."""
        msg = self._message(chat_id, None, text)
        msg["sender_chat"] = self.chats[chat_id].json()
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": utf16(text.split(maxsplit=1)[0])}]  # fmt: skip
        self.push({"channel_post": msg})
        return msg

    def press(
        self, chat_id: int, message_id: int, user_id: int, data: str, *, expired: bool = False
    ) -> str:
        """A person presses a button; ``expired`` makes the press too old to answer."""
        query_id = str(next(self._callback_ids))
        if expired:
            self.expired_queries.add(query_id)
        self.push({"callback_query": {"id": query_id, "from": self.users[user_id],
                                      "message": _public(self.messages[(chat_id, message_id)]),
                                      "chat_instance": f"ci{chat_id}", "data": data}})  # fmt: skip
        return query_id

    def remove_bot(self, chat_id: int, *, by_user: int, status: str = "kicked") -> None:
        """The bot is removed from a group (``kicked``/``left``) or blocked in a DM."""
        chat = self.chats[chat_id]
        chat.bot_status = status
        new: Json = {"status": status, "user": self.bot}
        if status == "kicked":
            new["until_date"] = 0
        self.push({"my_chat_member": {"chat": chat.json(), "from": self.users[by_user],
                   "date": self._date(), "new_chat_member": new,
                   "old_chat_member": {"status": "member", "user": self.bot}}})  # fmt: skip

    def add_bot_back(self, chat_id: int, *, by_user: int) -> None:
        """The bot is added to a group again (or unblocked in a DM)."""
        chat = self.chats[chat_id]
        old = chat.bot_status
        chat.bot_status = "member"
        self.push({"my_chat_member": {"chat": chat.json(), "from": self.users[by_user],
                   "date": self._date(), "new_chat_member": {"status": "member", "user": self.bot},
                   "old_chat_member": {"status": old, "user": self.bot}}})  # fmt: skip

    def migrate(self, chat_id: int, new_id: int, *, by_user: int) -> None:
        old = self.chats[chat_id]
        old.migrated_to = new_id
        self.add_chat(new_id, "supergroup", admins=old.admins, title=old.title)
        moved = self._message(chat_id, self.users[by_user], None)
        moved["migrate_to_chat_id"] = new_id
        self.push({"message": moved})
        arrived = self._message(new_id, self.users[by_user], None)
        arrived["migrate_from_chat_id"] = chat_id
        self.push({"message": arrived})

    def push(self, update: Json) -> None:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    @property
    def now(self) -> float:
        return self._clock + (time.monotonic() - self._started if self.real_time else 0.0)

    def advance(self, seconds: float) -> None:
        self._clock += seconds

    def sent_to(self, chat_id: int) -> list[Json]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    async def wait_for(self, predicate: Any, seconds: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (the bot works concurrently)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError("the fake Telegram never saw what the test waited for")
            await asyncio.sleep(0.01)

    async def _notify(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    def _date(self) -> int:
        return 1_700_000_000 + int(self.now)

    def _message(self, chat_id: int, sender: Json | None, text: str | None, *,
                 thread_id: int | None = None) -> Json:  # fmt: skip
        chat = self.chats[chat_id]
        msg: Json = {"message_id": next(self._message_ids[chat_id]), "date": self._date(),
                     "chat": chat.json()}  # fmt: skip
        if sender is not None:
            msg["from"] = sender
        if text is not None:
            msg["text"] = text
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = chat.is_forum
        self.messages[(chat_id, msg["message_id"])] = msg
        return msg

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
            return _member(self.bot, chat.bot_status)
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return _member(user, "administrator" if user_id in chat.admins else "member")

    async def api_answerCallbackQuery(self, params: Json) -> bool:
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if params["callback_query_id"] in self.expired_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                           "or query ID is invalid")  # fmt: skip
        self.answers.append(params)
        return True

    async def api_sendMessage(self, params: Json) -> Json:
        chat = self._writable(params["chat_id"])
        text, entities = self._text(params)
        markup = _keyboard(params.get("reply_markup"))
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
                msg["reply_to_message"] = _public(target)
        msg["_request"] = params  # what the bot asked for, for assertions
        self.sent.append(msg)
        return _public(msg)

    async def api_editMessageText(self, params: Json) -> Json:
        chat = self._writable(params["chat_id"])
        msg = self.messages.get((chat.id, int(params["message_id"])))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != BOT_ID:
            raise ApiError(400, "Bad Request: message can't be edited")
        text, entities = self._text(params)
        markup = _keyboard(params.get("reply_markup"))
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
        return _public(msg)

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


def _public(msg: Json) -> Json:
    """A message as Telegram shows it: no test bookkeeping, replies one level deep."""
    out = {k: v for k, v in msg.items() if not k.startswith("_")}
    if "reply_to_message" in out:
        out["reply_to_message"] = {
            k: v for k, v in out["reply_to_message"].items()
            if not k.startswith("_") and k != "reply_to_message"
        }  # fmt: skip
    return out


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def _member(user: Json, status: str) -> Json:
    if status != "administrator":
        return {"status": status, "user": user, **({"until_date": 0} if status == "kicked" else {})}
    rights = ["can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
              "can_manage_video_chats", "can_restrict_members", "can_promote_members",
              "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
              "can_delete_stories", "can_post_messages"]  # fmt: skip
    return {"status": status, "user": user, **{r: r != "is_anonymous" for r in rights}}


def _keyboard(raw: Any) -> Json | None:
    if raw is None:
        return None
    markup = json.loads(raw) if isinstance(raw, str) else raw
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup  # type: ignore[no-any-return]


async def _params(request: web.Request) -> Json:
    """Telegram's parameter rules: query string, form fields (JSON inside) or a JSON body."""
    params: Json = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.can_read_body:
        for key, value in (await request.post()).items():
            raw = isinstance(value, str) and key not in _RAW_FIELDS
            params[key] = _decode(value) if raw and isinstance(value, str) else value
    return params


_RAW_FIELDS = {"text", "data", "url", "secret_token", "callback_query_id", "chat_id"}


def _decode(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if value[:1] in "[{":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value

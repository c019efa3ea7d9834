"""The world the fake Telegram simulates, apart from its HTTP server: chats, people and
messages, the updates people cause (messages, channel posts, button presses, the bot removed or
added back, a group migrated to a supergroup), the fake clock of the rate limits and what the
bot did there, plus the Bot API objects built from them (Chat, ChatMember, a public Message).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.fake_telegram_parsing import Json, utf16

BOT_ID = 7000001


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
    started: bool = True  # a DM: whether the person has started the bot (it may write)

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


class TelegramWorld:
    """The simulated chats and people, what they do, and what the bot did in reply."""

    def __init__(self) -> None:
        self.bot = {"id": BOT_ID, "is_bot": True, "first_name": "News", "username": "newsbot",
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}  # fmt: skip
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, Json] = {}
        self.messages: dict[tuple[int, int], Json] = {}
        self.sent: list[Json] = []  # messages the bot sent, in order
        self.edits: list[Json] = []
        self.answers: list[Json] = []  # answerCallbackQuery calls
        self.files: dict[str, bytes] = {}  # file_id -> bytes (uploads both ways)
        self.expired_queries: set[str] = set()
        self.commands: list[Json] = []
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

    # ------------------------------------------------------------ the world

    def add_user(self, user_id: int, name: str = "Ada", *, started: bool = True,
                 language_code: str | None = None) -> Json:  # fmt: skip
        """A person; ``started``: whether they have opened a DM with the bot (else the bot
        cannot write to them first, as on Telegram); ``language_code``: their app's
        language, which Telegram sends with everything they do."""
        self.users[user_id] = {"id": user_id, "is_bot": False, "first_name": name,
                               "username": name.lower()}  # fmt: skip
        if language_code:
            self.users[user_id]["language_code"] = language_code
        self.chats.setdefault(user_id, Chat(user_id, "private", title=name, started=started))
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
        if chat_id == user_id:
            self.chats[chat_id].started = True  # writing to the bot opens the DM
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": utf16(text.split(maxsplit=1)[0])}]  # fmt: skip
        if reply_to is not None:
            msg["reply_to_message"] = public(self.messages[(chat_id, reply_to)])
        self.push({"message": msg})
        return msg

    def user_document(self, chat_id: int, user_id: int, data: bytes, name: str,
                      caption: str = "") -> Json:  # fmt: skip
        """A person sends a file, with an optional caption (a /command works there)."""
        file_id = f"up{len(self.files) + 1}"
        self.files[file_id] = data
        msg = self._message(chat_id, self.users[user_id], None)
        msg["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                           "file_name": name, "file_size": len(data)}  # fmt: skip
        if caption:
            msg["caption"] = caption
            if caption.startswith("/"):
                head = caption.split(maxsplit=1)[0]
                msg["caption_entities"] = [{"type": "bot_command", "offset": 0,
                                            "length": utf16(head)}]  # fmt: skip
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
                                      "message": public(self.messages[(chat_id, message_id)]),
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


def public(msg: Json) -> Json:
    """A message as Telegram shows it: no test bookkeeping, replies one level deep."""
    out = {k: v for k, v in msg.items() if not k.startswith("_")}
    if "reply_to_message" in out:
        out["reply_to_message"] = {
            k: v for k, v in out["reply_to_message"].items()
            if not k.startswith("_") and k != "reply_to_message"
        }  # fmt: skip
    return out


def member(user: Json, status: str) -> Json:
    if status != "administrator":
        return {"status": status, "user": user, **({"until_date": 0} if status == "kicked" else {})}
    rights = ["can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
              "can_manage_video_chats", "can_restrict_members", "can_promote_members",
              "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
              "can_delete_stories", "can_post_messages"]  # fmt: skip
    return {"status": status, "user": user, **{r: r != "is_anonymous" for r in rights}}

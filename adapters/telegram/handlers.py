"""Telegram updates turned into core commands, and their answers posted back.

Commands, button presses and replies to our posts are answered as replies in the same
chat and forum topic. Membership changes pause a chat's subscriptions; a group that
became a supergroup takes its subscriptions along.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram.messenger import TelegramMessenger, destination_of
from adapters.telegram.permissions import channel_target, is_admin, is_chat_admin, split_channel
from bot.commands.router import COMMANDS, Commands, Invocation, split_command
from bot.core.cards import Action, Card, line
from bot.core.domain import Destination, MessageRef
from bot.core.errors import DeliveryError, TransientDeliveryError

log = logging.getLogger("newsbot.telegram")

COMMAND_NAMES = tuple(info.name for info in COMMANDS)
# Commands that change what a chat receives, so they need the sender's admin rights.
MANAGE = frozenset({"subscribe", "unsubscribe", "addfeed", "removefeed", "settings"})
CHANNEL_COMMANDS = frozenset({"subscribe", "unsubscribe", "subscriptions"})
_STORY_MENTION = re.compile(r"\bstory ([a-z0-9]{2,12})\b")
ANSWER_ATTEMPTS = 3
_GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


def story_of(message: Message) -> str | None:
    """The story a post of ours is about: from its buttons, else from its small print."""
    markup = message.reply_markup
    if markup is not None:
        for row in markup.inline_keyboard:
            for button in row:
                if isinstance(button.callback_data, str):
                    action = Action.decode(button.callback_data)
                    if action is not None:
                        return action.story_id
    found = _STORY_MENTION.search(message.text or "")
    return found.group(1) if found else None


def label_of(message: Message, data: str) -> str | None:
    """The label of the button carrying ``data`` on ``message``, as Telegram shows it."""
    markup = message.reply_markup
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


class Handlers:
    """The callbacks registered on the PTB ``Application``."""

    def __init__(
        self, commands: Commands, messenger: TelegramMessenger, *, max_wait_s: float = 3.0
    ) -> None:
        self.commands = commands
        self.messenger = messenger
        self.max_wait_s = max_wait_s

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        fresh = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler([*COMMAND_NAMES, "start"], self.on_command, filters=fresh))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND,
                self.on_reply,
            )
        )
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE
                & filters.ChatType.PRIVATE
                & filters.TEXT
                & ~filters.COMMAND
                & ~filters.REPLY,
                self.on_direct_text,
            )
        )
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        app.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))

    # ------------------------------------------------------------ commands

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        await self._run(message, message.text)

    async def on_direct_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In a DM, "subscribe iraq" works without the slash; anything else gets a hint."""
        message = update.effective_message
        if message is None or not message.text:
            return
        name, _ = split_command(message.text)
        if name in COMMAND_NAMES:
            await self._run(message, message.text)
            return
        await self._answer(message, _card("Send /help to see what I can do."))

    async def _run(self, message: Message, text: str) -> None:
        started = time.monotonic()
        name, _ = split_command(text)
        user_id = message.from_user.id if message.from_user else message.chat.id
        text, channel = split_channel(text)
        if channel is not None:
            card = await self._run_for_channel(message, name, text, channel, user_id)
        else:
            manage = name in MANAGE and await is_chat_admin(message.get_bot(), message)
            inv = Invocation(
                destination_of(message),
                str(user_id),
                can_manage=manage,
                is_private=message.chat.type == ChatType.PRIVATE,
            )
            card = await self.commands.run(inv, text)
        log.info(
            "event=telegram.command name=%s chat=%s chat_type=%s user=%s took_ms=%d",
            name, message.chat.id, message.chat.type, user_id,
            (time.monotonic() - started) * 1000,
        )  # fmt: skip
        await self._answer(message, card)

    async def _run_for_channel(
        self, message: Message, name: str, text: str, channel: str, user_id: int
    ) -> Card:
        if name not in CHANNEL_COMMANDS:
            return _card(f"/{name} can't be used for a channel.")
        if message.chat.type != ChatType.PRIVATE:
            return _card("Manage a channel from a direct message with me.")
        target = await channel_target(message.get_bot(), user_id, channel)
        if target.chat_id is None:
            log.info("event=telegram.channel_refused user=%s channel=%s", user_id, channel)
            return _card(target.refusal or "I can't manage that channel.")
        inv = Invocation(
            Destination("telegram", str(target.chat_id)), str(user_id), can_manage=True
        )
        return await self.commands.run(inv, text)

    # ------------------------------------------------------------ buttons and replies

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        action = Action.decode(query.data or "")
        message = query.message
        if action is None or not isinstance(message, Message):
            await _acknowledge(query, "This button no longer works. /latest shows current stories.")
            return
        # Answer at once so the button stops spinning; the result comes as a reply.
        await _acknowledge(query)
        manage = action.kind == "mute" and (
            message.chat.type in (ChatType.PRIVATE, ChatType.CHANNEL)
            or await is_admin(query.get_bot(), message.chat.id, query.from_user.id)
        )
        inv = Invocation(
            destination_of(message),
            str(query.from_user.id),
            can_manage=manage,
            is_private=message.chat.type == ChatType.PRIVATE,
        )
        card = await self.commands.press(inv, action, label=label_of(message, query.data or ""))
        log.info(
            "event=telegram.button action=%s story=%s chat=%s user=%s",
            action.kind, action.story_id, message.chat.id, query.from_user.id,
        )  # fmt: skip
        await self._answer(message, card, nonce=f"cb:{query.id}")

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to one of our posts: ``expand 2``, ``sources`` or a question."""
        message = update.effective_message
        if message is None or not message.text or message.reply_to_message is None:
            return
        replied = message.reply_to_message
        if replied.from_user is None or replied.from_user.id != context.bot.id:
            return
        story_id = story_of(replied)
        if story_id is None:
            return
        user_id = message.from_user.id if message.from_user else message.chat.id
        inv = Invocation(
            destination_of(message),
            str(user_id),
            can_manage=False,
            is_private=message.chat.type == ChatType.PRIVATE,
        )
        card = await self.commands.follow_up(inv, story_id, message.text)
        log.info(
            "event=telegram.follow_up story=%s chat=%s user=%s", story_id, message.chat.id, user_id
        )
        await self._answer(message, card)

    async def _answer(self, message: Message, card: Card, *, nonce: str | None = None) -> None:
        """Reply to ``message``; a short rate-limit wait (two quick presses) is waited out."""
        ref = MessageRef(destination_of(message), str(message.message_id))
        for attempt in range(ANSWER_ATTEMPTS):
            try:
                await self.messenger.reply(ref, card, nonce=nonce or f"m:{message.message_id}")
                return
            except TransientDeliveryError as err:
                wait = err.retry_after
                last = attempt == ANSWER_ATTEMPTS - 1
                if wait is None or wait > self.max_wait_s or last:
                    failure: DeliveryError = err
                    break
                await asyncio.sleep(wait)
            except DeliveryError as err:
                failure = err
                break
        # The person can ask again; a lost answer is not a bug in the handler.
        log.warning(
            "event=telegram.answer_failed chat=%s error=%s reason=%r",
            message.chat.id, type(failure).__name__, str(failure),
        )  # fmt: skip

    # ------------------------------------------------------------ membership

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        chat = change.chat
        if status in _GONE:
            paused = await self.commands.pause_destination(Destination("telegram", str(chat.id)))
            log.warning(
                "event=telegram.removed chat=%s chat_type=%s status=%s paused=%d",
                chat.id, chat.type, status, paused,
            )  # fmt: skip
        elif status in _PRESENT:
            resumed = await self.commands.resume_destination(Destination("telegram", str(chat.id)))
            log.info(
                "event=telegram.membership chat=%s status=%s resumed=%d", chat.id, status, resumed
            )

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        await self.commands.move_destination(
            Destination("telegram", str(old)), Destination("telegram", str(new))
        )
        log.info("event=telegram.migrated old=%s new=%s", old, new)


async def _acknowledge(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner. Telegram refuses answers to old presses (after a
    restart, say); the press is still worth handling."""
    try:
        await query.answer(text)
    except TelegramError as err:
        log.info("event=telegram.press_not_acknowledged reason=%r", err.message)


def _card(text: str) -> Card:
    return Card(body=(line(text),))

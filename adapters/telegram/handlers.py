"""Telegram updates turned into core commands, and their answers posted back
(``adapters.telegram.answers``).

Commands are answered as replies in the same chat and forum topic. In groups and
channels, button presses, questions and story reads are answered to the person who
asked, not the chat (``adapters.telegram.quiet``): in their DM when they have started
the bot, else through a deep link that opens it. Membership changes pause a chat's
subscriptions; a group that became a supergroup takes its subscriptions along.
"""

from __future__ import annotations

import logging
import re
import time

from telegram import Message, Update
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

from adapters.telegram.answers import Answers, acknowledge, language_hint, short_text, text_card
from adapters.telegram.messenger import TelegramMessenger, destination_of
from adapters.telegram.permissions import channel_target, is_admin, is_chat_admin, split_channel
from adapters.telegram.quiet import decode_payload
from bot.commands.router import COMMANDS, Commands, Invocation, split_command
from bot.core.cards import Action, Card
from bot.core.domain import Destination
from bot.core.errors import CommandError
from bot.core.words import _, speaking
from bot.delivery.mentions import mentioned_story, story_mention

log = logging.getLogger("newsbot.telegram")

COMMAND_NAMES = tuple(info.name for info in COMMANDS)
# Commands that change what a chat receives, so they need the sender's admin rights.
MANAGE = frozenset(
    {
        "subscribe",
        "unsubscribe",
        "addfeed",
        "removefeed",
        "feeds",
        "import",
        "export",
        "settings",
        "language",
    }
)
# Reading a story in a group or channel: the answer goes to the person, not the chat.
QUIET = frozenset({"expand", "sources", "ask"})
CHANNEL_COMMANDS = frozenset(
    {"subscribe", "unsubscribe", "subscriptions", "addfeed", "removefeed", "feeds"}
)
_GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


def story_of(message: Message, mentions: re.Pattern[str]) -> str | None:
    """The story a post of ours is about: from its buttons, else from its small print
    (``mentions``: "story <id>" in every catalog language)."""
    markup = message.reply_markup
    if markup is not None:
        for row in markup.inline_keyboard:
            for button in row:
                if isinstance(button.callback_data, str):
                    action = Action.decode(button.callback_data)
                    if action is not None:
                        return action.story_id
    return mentioned_story(message.text or "", mentions)


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
        self.answers = Answers(commands, messenger, max_wait_s=max_wait_s)
        self.mentions = story_mention(commands.words)

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        fresh = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler([*COMMAND_NAMES, "start"], self.on_command, filters=fresh))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE
                & filters.Document.ALL
                & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)"),
                self.on_import,
            )
        )
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
        name, _args = split_command(message.text)
        if name in COMMAND_NAMES:
            await self._run(message, message.text)
            return
        with speaking(await self.answers.words_of(message)):
            await self.answers.answer(message, text_card(_("Send /help to see what I can do.")))

    async def _run(self, message: Message, text: str) -> None:
        started = time.monotonic()
        name, args = split_command(text)
        user_id = message.from_user.id if message.from_user else message.chat.id
        private = message.chat.type == ChatType.PRIVATE
        if name == "start" and args and private:
            await self.answers.answer(message, await self._start_payload(message, args, user_id))
            return
        text, channel = split_channel(text)
        if name == "export" and channel is None:
            await self._export(message, user_id)
            return
        if channel is not None:
            with speaking(await self.answers.words_of(message)):
                card = await self._run_for_channel(message, name, text, channel, user_id)
        else:
            manage = name in MANAGE and await is_chat_admin(message.get_bot(), message)
            inv = Invocation(
                destination_of(message),
                str(user_id),
                can_manage=manage,
                is_private=message.chat.type == ChatType.PRIVATE,
                language_hint=language_hint(message),
            )
            card = await self.commands.run(inv, text)
        log.info(
            "event=telegram.command name=%s chat=%s chat_type=%s user=%s took_ms=%d",
            name, message.chat.id, message.chat.type, user_id,
            (time.monotonic() - started) * 1000,
        )  # fmt: skip
        if name in QUIET and not private and message.from_user is not None:
            await self.answers.answer_person(message, user_id, card)
            return
        await self.answers.answer(message, card)

    async def on_import(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An OPML file sent with ``/import`` as its caption: its feeds join the chat's."""
        message = update.effective_message
        if message is None or message.document is None:
            return
        document = message.document
        inv = await self._invocation(message, manage=True)
        limit = self.commands.opml.max_bytes if self.commands.opml else 0
        if not inv.can_manage or (document.file_size or 0) > limit:
            # Refused before the download: the command says why (rights, size).
            data = b"" if not inv.can_manage else b"x" * (limit + 1)
        else:
            try:
                data = bytes(await (await document.get_file()).download_as_bytearray())
            except TelegramError as err:
                log.warning("event=telegram.import_download_failed reason=%r", err.message)
                with speaking(await self.answers.words_of(message)):
                    failed = text_card(_("I couldn't download that file; try again."))
                await self.answers.answer(message, failed)
                return
        name = document.file_name or ""
        card = await self.commands.guarded(
            "import", inv, self.commands.import_feeds(inv, data, name)
        )
        await self.answers.answer(message, card)

    async def _export(self, message: Message, user_id: int) -> None:
        """``/export``: the chat's feeds as an OPML file."""
        inv = await self._invocation(message, manage=True)
        try:
            card, data = await self.commands.export_feeds(inv)
        except CommandError as err:
            await self.answers.answer(message, text_card(str(err)))
            return
        if data is None:
            await self.answers.answer(message, card)
            return
        try:
            await message.reply_document(
                document=data, filename="newsbot-feeds.opml", caption=card.plain_text()[:1000]
            )
        except TelegramError as err:
            log.warning("event=telegram.export_failed chat=%s reason=%r", message.chat.id, err)
        log.info("event=telegram.export chat=%s user=%s", message.chat.id, user_id)

    async def _invocation(self, message: Message, *, manage: bool) -> Invocation:
        user_id = message.from_user.id if message.from_user else message.chat.id
        return Invocation(
            destination_of(message),
            str(user_id),
            can_manage=manage and await is_chat_admin(message.get_bot(), message),
            is_private=message.chat.type == ChatType.PRIVATE,
            language_hint=language_hint(message),
        )

    async def _start_payload(self, message: Message, payload: str, user_id: int) -> Card:
        """``/start <payload>`` from a deep link: the answer a press in a group or channel
        stood for. A mute is done only for an admin of the chat it names."""
        decoded = decode_payload(payload)
        dm = Invocation(destination_of(message), str(user_id), can_manage=True, is_private=True)
        if decoded is None:
            return await self.commands.help(dm)
        if isinstance(decoded, Action):
            return await self.commands.press(dm, decoded)
        story_id, chat_id = decoded
        manage = await is_admin(message.get_bot(), chat_id, user_id)
        inv = Invocation(Destination("telegram", str(chat_id)), str(user_id), can_manage=manage)
        return await self.commands.guarded("mute", inv, self.commands.mute(inv, story_id))

    async def _run_for_channel(
        self, message: Message, name: str, text: str, channel: str, user_id: int
    ) -> Card:
        if name not in CHANNEL_COMMANDS:
            return text_card(_("/%(name)s can't be used for a channel.", name=name))
        if message.chat.type != ChatType.PRIVATE:
            return text_card(_("Manage a channel from a direct message with me."))
        target = await channel_target(message.get_bot(), user_id, channel)
        if target.chat_id is None:
            log.info("event=telegram.channel_refused user=%s channel=%s", user_id, channel)
            return text_card(target.refusal or _("I can't manage that channel."))
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
            with speaking(await self.answers.words_of_person(query.from_user)):
                gone = _("This button no longer works. /latest shows current stories.")
            await acknowledge(query, gone)
            return
        private = message.chat.type == ChatType.PRIVATE
        if private:
            # Answer at once so the button stops spinning; the result comes as a reply.
            await acknowledge(query)
        # Mute changes what the whole chat gets: in a group or channel, admins only.
        manage = action.kind == "mute" and (
            private or await is_admin(query.get_bot(), message.chat.id, query.from_user.id)
        )
        inv = Invocation(
            destination_of(message),
            str(query.from_user.id),
            can_manage=manage,
            is_private=private,
            language_hint=query.from_user.language_code or None,
        )
        card = await self.commands.press(inv, action, label=label_of(message, query.data or ""))
        log.info(
            "event=telegram.button action=%s story=%s chat=%s user=%s",
            action.kind, action.story_id, message.chat.id, query.from_user.id,
        )  # fmt: skip
        if private:
            await self.answers.answer(message, card, nonce=f"cb:{query.id}")
        elif action.kind == "mute":
            await acknowledge(query, short_text(card), alert=True)  # to the presser only
        else:
            await self.answers.answer_press(query, action, card)

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to one of our posts: ``expand 2``, ``sources`` or a question."""
        message = update.effective_message
        if message is None or not message.text or message.reply_to_message is None:
            return
        replied = message.reply_to_message
        if replied.from_user is None or replied.from_user.id != context.bot.id:
            return
        story_id = story_of(replied, self.mentions)
        if story_id is None:
            return
        user_id = message.from_user.id if message.from_user else message.chat.id
        inv = Invocation(
            destination_of(message),
            str(user_id),
            can_manage=False,
            is_private=message.chat.type == ChatType.PRIVATE,
            language_hint=language_hint(message),
        )
        card = await self.commands.follow_up(inv, story_id, message.text)
        log.info(
            "event=telegram.follow_up story=%s chat=%s user=%s", story_id, message.chat.id, user_id
        )
        if message.chat.type != ChatType.PRIVATE and message.from_user is not None:
            await self.answers.answer_person(message, user_id, card)
            return
        await self.answers.answer(message, card)

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

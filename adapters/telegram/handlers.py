"""Telegram updates turned into core commands, and their answers posted back.

Commands are answered as replies in the same chat and forum topic. In groups and
channels, button presses, questions and story reads are answered to the person who
asked, not the chat (``adapters.telegram.quiet``): in their DM when they have started
the bot, else through a deep link that opens it. Membership changes pause a chat's
subscriptions; a group that became a supergroup takes its subscriptions along.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from telegram import CallbackQuery, Message, Update, User
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
from adapters.telegram.quiet import action_payload, decode_payload, deep_link
from bot.commands.router import COMMANDS, Commands, Invocation, split_command
from bot.core.cards import Action, Card, line
from bot.core.domain import Destination, MessageRef
from bot.core.errors import CommandError, DeliveryError, TransientDeliveryError
from bot.core.words import Words, _, isolate, speaking
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
ANSWER_ATTEMPTS = 3
_GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


def language_hint(message: Message) -> str | None:
    """The sender's Telegram app language (``language_code``, an IETF tag), if Telegram
    sent one; a channel post has no sender."""
    user = message.from_user
    return user.language_code if user is not None and user.language_code else None


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
        self.messenger = messenger
        self.max_wait_s = max_wait_s
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
        with speaking(await self.words_of(message)):
            await self._answer(message, _card(_("Send /help to see what I can do.")))

    async def _run(self, message: Message, text: str) -> None:
        started = time.monotonic()
        name, args = split_command(text)
        user_id = message.from_user.id if message.from_user else message.chat.id
        private = message.chat.type == ChatType.PRIVATE
        if name == "start" and args and private:
            await self._answer(message, await self._start_payload(message, args, user_id))
            return
        text, channel = split_channel(text)
        if name == "export" and channel is None:
            await self._export(message, user_id)
            return
        if channel is not None:
            with speaking(await self.words_of(message)):
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
            await self._answer_person(message, user_id, card)
            return
        await self._answer(message, card)

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
                with speaking(await self.words_of(message)):
                    failed = _card(_("I couldn't download that file; try again."))
                await self._answer(message, failed)
                return
        name = document.file_name or ""
        card = await self.commands.guarded(
            "import", inv, self.commands.import_feeds(inv, data, name)
        )
        await self._answer(message, card)

    async def _export(self, message: Message, user_id: int) -> None:
        """``/export``: the chat's feeds as an OPML file."""
        inv = await self._invocation(message, manage=True)
        try:
            card, data = await self.commands.export_feeds(inv)
        except CommandError as err:
            await self._answer(message, _card(str(err)))
            return
        if data is None:
            await self._answer(message, card)
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

    async def _answer_person(self, message: Message, user_id: int, card: Card) -> None:
        """A question or a read in a group: the answer goes to the person's DM; if the
        bot may not write to them yet, a one-line reply says how to open the DM."""
        dm = Destination("telegram", str(user_id))
        try:
            await self.messenger.send(dm, card, nonce=f"m:{message.message_id}")
            return
        except DeliveryError as err:
            log.info("event=telegram.dm_refused user=%s reason=%r", user_id, str(err))
        link = f"https://t.me/{message.get_bot().username}"
        with speaking(await self.words_of(message)):
            hint = _(
                "I answer privately: open %(link)s, press Start, then ask me again there.",
                link=isolate(link),
            )
        await self._answer(
            message,
            _card(hint),
        )

    async def _run_for_channel(
        self, message: Message, name: str, text: str, channel: str, user_id: int
    ) -> Card:
        if name not in CHANNEL_COMMANDS:
            return _card(_("/%(name)s can't be used for a channel.", name=name))
        if message.chat.type != ChatType.PRIVATE:
            return _card(_("Manage a channel from a direct message with me."))
        target = await channel_target(message.get_bot(), user_id, channel)
        if target.chat_id is None:
            log.info("event=telegram.channel_refused user=%s channel=%s", user_id, channel)
            return _card(target.refusal or _("I can't manage that channel."))
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
            with speaking(await self._words_of_person(query.from_user)):
                gone = _("This button no longer works. /latest shows current stories.")
            await _acknowledge(query, gone)
            return
        private = message.chat.type == ChatType.PRIVATE
        if private:
            # Answer at once so the button stops spinning; the result comes as a reply.
            await _acknowledge(query)
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
            await self._answer(message, card, nonce=f"cb:{query.id}")
        elif action.kind == "mute":
            await _acknowledge(query, _short(card), alert=True)  # to the presser only
        else:
            await self._answer_press(query, action, card)

    async def _answer_press(self, query: CallbackQuery, action: Action, card: Card) -> None:
        """A press in a group or channel: the answer in the person's DM, else a callback
        answer whose link opens the DM with the answer."""
        user = Destination("telegram", str(query.from_user.id))
        words = await self._words_of_person(query.from_user)
        try:
            await self.messenger.send(user, card, nonce=f"cb:{query.id}")
        except DeliveryError as err:
            log.info("event=telegram.dm_refused user=%s reason=%r", user.chat_id, str(err))
            payload = action_payload(action)
            username = query.get_bot().username
            if payload is None:
                with speaking(words):
                    start = _("Start a chat with me to read answers privately.")
                await _acknowledge(query, start)
                return
            await _acknowledge(query, url=deep_link(username, payload))
            return
        with speaking(words):
            sent = _("I sent you the answer in a private message.")
        await _acknowledge(query, sent)

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
            await self._answer_person(message, user_id, card)
            return
        await self._answer(message, card)

    async def words_of(self, message: Message) -> Words:
        """The words of the chat ``message`` came from, for the adapter's own answers."""
        user_id = message.from_user.id if message.from_user else message.chat.id
        inv = Invocation(
            destination_of(message),
            str(user_id),
            can_manage=False,
            language_hint=language_hint(message),
        )
        return await self.commands.words_for(inv)

    async def _words_of_person(self, user: User) -> Words:
        """The words of a person's DM with the bot (a button press's private answers)."""
        inv = Invocation(
            Destination("telegram", str(user.id)),
            str(user.id),
            can_manage=False,
            is_private=True,
            language_hint=user.language_code or None,
        )
        return await self.commands.words_for(inv)

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


async def _acknowledge(
    query: CallbackQuery, text: str | None = None, *, url: str | None = None, alert: bool = False
) -> None:
    """Stop the button's spinner. Telegram refuses answers to old presses (after a
    restart, say); the press is still worth handling."""
    try:
        await query.answer(text, show_alert=alert, url=url)
    except TelegramError as err:
        log.info("event=telegram.press_not_acknowledged reason=%r", err.message)


def _short(card: Card) -> str:
    """A card as a callback answer's text (Telegram shows at most 200 characters)."""
    text = card.plain_text()
    return text if len(text) <= 200 else text[:199] + "…"


def _card(text: str) -> Card:
    return Card(body=(line(text),))

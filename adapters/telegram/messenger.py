"""The ``Messenger`` port on the Bot API: posts, edits and replies as HTML messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram import error as tg
from telegram.constants import ChatType, ParseMode

from adapters.telegram.errors import (
    delivery_error,
    is_not_modified,
    is_parse_error,
    retry_after_s,
)
from adapters.telegram.quiet import action_payload, deep_link, mute_payload
from adapters.telegram.render import KeyButton, Rendered, render, render_single, split_plain
from bot.core.cards import Action, Card
from bot.core.domain import Destination, MessageRef
from bot.core.errors import AmbiguousDeliveryError, DeliveryError

log = logging.getLogger("newsbot.telegram")

MAX_WAITS = 5  # inline waits for the later parts of one card
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
OnMigrate = Callable[[Destination, Destination], Awaitable[None]]


def destination_of(message: Message) -> Destination:
    """Where a message lives; a forum topic is part of the address."""
    thread = message.message_thread_id if message.is_topic_message else None
    return Destination("telegram", str(message.chat.id), str(thread) if thread else None)


def markup(
    rows: tuple[tuple[KeyButton, ...], ...], *, links: str | None = None, chat_id: int = 0
) -> InlineKeyboardMarkup | None:
    """Callback buttons; with ``links`` (the bot's username, for a channel) deep links
    into a DM with the bot instead, so a reader's press never posts in the channel."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(key, links, chat_id) for key in row] for row in rows])


def _button(key: KeyButton, links: str | None, chat_id: int) -> InlineKeyboardButton:
    action = Action.decode(key.data) if links else None
    if links is None or action is None:
        return InlineKeyboardButton(key.label, callback_data=key.data)
    if action.kind == "mute":
        payload: str | None = mute_payload(action.story_id, chat_id)
    else:
        payload = action_payload(action)
    if payload is None:
        return InlineKeyboardButton(key.label, callback_data=key.data)
    return InlineKeyboardButton(key.label, url=deep_link(links, payload))


def _chat(destination: Destination) -> int | str:
    chat = destination.chat_id
    return int(chat) if chat.lstrip("-").isdigit() else chat


class TelegramMessenger:
    """Sends cards through a PTB ``Bot``. Every failure is a ``bot.core.errors`` delivery error.

    Telegram has no idempotency key, so ``nonce`` only appears in the logs.
    """

    platform = "telegram"

    def __init__(
        self, bot: Bot, *, max_inline_wait_s: float = 3.0, on_migrate: OnMigrate | None = None
    ) -> None:
        self._bot = bot
        self._max_inline_wait_s = max_inline_wait_s
        self._on_migrate = on_migrate
        self._channels: dict[str, bool] = {}  # chat id -> whether it is a channel

    async def _links(self, destination: Destination) -> str | None:
        """The bot's username when ``destination`` is a channel (its buttons become deep
        links), else None. A chat's kind is asked once; if that fails, callback buttons."""
        chat = destination.chat_id
        if not chat.startswith("-100"):
            return None  # users and basic groups are never channels
        if chat not in self._channels:
            try:
                found = await self._bot.get_chat(_chat(destination))
            except tg.TelegramError:
                return None
            self._channels[chat] = found.type == ChatType.CHANNEL
        if not self._channels[chat]:
            return None
        try:
            return self._bot.username
        except RuntimeError:  # not initialised: no username to link to
            return None

    async def _markup(
        self, destination: Destination, rendered: Rendered
    ) -> InlineKeyboardMarkup | None:
        if not rendered.keyboard:
            return None
        links = await self._links(destination)
        return markup(rendered.keyboard, links=links, chat_id=int(_chat(destination) or 0))

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        return await self._post(destination, card, reply_to=None, nonce=nonce)

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        return await self._post(ref.destination, card, reply_to=int(ref.message_id), nonce=nonce)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        rendered = render_single(card)
        text = rendered.chunks[0]
        chat = _chat(ref.destination)
        keyboard = await self._markup(ref.destination, rendered)
        try:
            try:
                await self._bot.edit_message_text(
                    text,
                    chat_id=chat,
                    message_id=int(ref.message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    link_preview_options=NO_PREVIEW,
                )
            except tg.BadRequest as err:
                if not is_parse_error(err):
                    raise
                log.error("event=telegram.html_refused chat=%s reason=%r", chat, err.message)
                await self._bot.edit_message_text(
                    split_plain(card.plain_text())[0],
                    chat_id=chat,
                    message_id=int(ref.message_id),
                    reply_markup=keyboard,
                    link_preview_options=NO_PREVIEW,
                )
        except tg.TelegramError as err:
            if is_not_modified(err):
                log.info(
                    "event=telegram.edit chat=%s message_id=%s unchanged=1", chat, ref.message_id
                )
                return
            failure = delivery_error(err)
            log.warning(
                "event=telegram.edit_failed chat=%s message_id=%s error=%s reason=%r",
                chat, ref.message_id, type(failure).__name__, str(failure),
            )  # fmt: skip
            raise failure from err
        log.info("event=telegram.edit chat=%s message_id=%s", chat, ref.message_id)

    async def _post(
        self, destination: Destination, card: Card, *, reply_to: int | None, nonce: str
    ) -> MessageRef:
        rendered = render(card)
        keyboard = await self._markup(destination, rendered)
        try:
            first = await self._send_all(
                destination, rendered, card, reply_to=reply_to, keyboard=keyboard
            )
        except tg.ChatMigrated as err:
            moved = Destination("telegram", str(err.new_chat_id), destination.thread_id)
            log.info(
                "event=telegram.chat_migrated old=%s new=%s", destination.chat_id, moved.chat_id
            )
            if self._on_migrate is None:
                raise delivery_error(err) from err
            await self._on_migrate(destination, moved)
            try:
                first = await self._send_all(
                    moved, rendered, card, reply_to=None, keyboard=keyboard
                )
            except tg.TelegramError as again:
                raise self._failed(moved, again, nonce) from again
            destination = moved
        except tg.TelegramError as err:
            raise self._failed(destination, err, nonce) from err
        log.info(
            "event=telegram.send chat=%s thread=%s message_id=%s parts=%d reply_to=%s nonce=%s",
            destination.chat_id, destination.thread_id, first, len(rendered.chunks),
            reply_to, nonce,
        )  # fmt: skip
        return MessageRef(destination, str(first))

    def _failed(self, destination: Destination, err: tg.TelegramError, nonce: str) -> DeliveryError:
        failure = delivery_error(err)
        log.warning(
            "event=telegram.send_failed chat=%s error=%s reason=%r nonce=%s",
            destination.chat_id, type(failure).__name__, str(failure), nonce,
        )  # fmt: skip
        return failure

    async def _send_all(
        self,
        destination: Destination,
        rendered: Rendered,
        card: Card,
        *,
        reply_to: int | None,
        keyboard: InlineKeyboardMarkup | None,
    ) -> int:
        """Send every chunk; the first message's id identifies the post."""
        first: int | None = None
        chunks = rendered.chunks
        html = True
        index = 0
        waits = 0
        while index < len(chunks):
            last = index == len(chunks) - 1
            try:
                message = await self._send_one(
                    destination,
                    chunks[index],
                    html=html,
                    keyboard=keyboard if last else None,
                    reply_to=reply_to if first is None else None,
                )
            except tg.BadRequest as err:
                if not html or not is_parse_error(err) or first is not None:
                    raise
                # Our markup was refused: a plain message is better than none.
                log.error("event=telegram.html_refused chat=%s reason=%r", destination.chat_id,
                          err.message)  # fmt: skip
                chunks, html = split_plain(card.plain_text()), False
                continue
            except tg.RetryAfter as err:
                waits += 1
                too_long = retry_after_s(err) > self._max_inline_wait_s or waits > MAX_WAITS
                if first is None or too_long:
                    if first is None:
                        raise
                    raise AmbiguousDeliveryError(
                        f"telegram: sent {index} of {len(chunks)} parts, then rate limited"
                    ) from err
                # Later parts of a message already half posted: wait briefly, don't resend.
                await asyncio.sleep(retry_after_s(err))
                continue
            except tg.TelegramError as err:
                if first is None:
                    raise
                raise AmbiguousDeliveryError(
                    f"telegram: sent {index} of {len(chunks)} parts: {err.message}"
                ) from err
            if first is None:
                first = message.message_id
            index += 1
        if first is None:
            raise AmbiguousDeliveryError("telegram: nothing to send")
        return first

    async def _send_one(
        self,
        destination: Destination,
        text: str,
        *,
        html: bool,
        keyboard: InlineKeyboardMarkup | None,
        reply_to: int | None,
    ) -> Message:
        return await self._bot.send_message(
            _chat(destination),
            text,
            parse_mode=ParseMode.HTML if html else None,
            link_preview_options=NO_PREVIEW,
            message_thread_id=int(destination.thread_id) if destination.thread_id else None,
            reply_markup=keyboard,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
        )

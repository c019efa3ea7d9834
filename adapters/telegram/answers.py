"""How the Telegram adapter answers: a reply in the chat (a short rate-limit wait is
waited out), or, for presses, questions and reads in groups and channels, the person's
DM, else a callback answer or a line with a deep link that opens the DM; in the words of
the chat or the person.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, Message, User
from telegram.error import TelegramError

from adapters.telegram.messenger import TelegramMessenger, destination_of
from adapters.telegram.quiet import action_payload, deep_link
from bot.commands.router import Commands, Invocation
from bot.core.cards import Action, Card, line
from bot.core.domain import Destination, MessageRef
from bot.core.errors import DeliveryError, TransientDeliveryError
from bot.core.words import Words, _, isolate, speaking

log = logging.getLogger("newsbot.telegram")

ANSWER_ATTEMPTS = 3


def language_hint(message: Message) -> str | None:
    """The sender's Telegram app language (``language_code``, an IETF tag), if Telegram
    sent one; a channel post has no sender."""
    user = message.from_user
    return user.language_code if user is not None and user.language_code else None


class Answers:
    """Sends the adapter's answers where they belong."""

    def __init__(
        self, commands: Commands, messenger: TelegramMessenger, *, max_wait_s: float = 3.0
    ) -> None:
        self.commands = commands
        self.messenger = messenger
        self.max_wait_s = max_wait_s

    async def answer_person(self, message: Message, user_id: int, card: Card) -> None:
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
        await self.answer(
            message,
            text_card(hint),
        )

    async def answer_press(self, query: CallbackQuery, action: Action, card: Card) -> None:
        """A press in a group or channel: the answer in the person's DM, else a callback
        answer whose link opens the DM with the answer."""
        user = Destination("telegram", str(query.from_user.id))
        words = await self.words_of_person(query.from_user)
        try:
            await self.messenger.send(user, card, nonce=f"cb:{query.id}")
        except DeliveryError as err:
            log.info("event=telegram.dm_refused user=%s reason=%r", user.chat_id, str(err))
            payload = action_payload(action)
            username = query.get_bot().username
            if payload is None:
                with speaking(words):
                    start = _("Start a chat with me to read answers privately.")
                await acknowledge(query, start)
                return
            await acknowledge(query, url=deep_link(username, payload))
            return
        with speaking(words):
            sent = _("I sent you the answer in a private message.")
        await acknowledge(query, sent)

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

    async def words_of_person(self, user: User) -> Words:
        """The words of a person's DM with the bot (a button press's private answers)."""
        inv = Invocation(
            Destination("telegram", str(user.id)),
            str(user.id),
            can_manage=False,
            is_private=True,
            language_hint=user.language_code or None,
        )
        return await self.commands.words_for(inv)

    async def answer(self, message: Message, card: Card, *, nonce: str | None = None) -> None:
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


async def acknowledge(
    query: CallbackQuery, text: str | None = None, *, url: str | None = None, alert: bool = False
) -> None:
    """Stop the button's spinner. Telegram refuses answers to old presses (after a
    restart, say); the press is still worth handling."""
    try:
        await query.answer(text, show_alert=alert, url=url)
    except TelegramError as err:
        log.info("event=telegram.press_not_acknowledged reason=%r", err.message)


def short_text(card: Card) -> str:
    """A card as a callback answer's text (Telegram shows at most 200 characters)."""
    text = card.plain_text()
    return text if len(text) <= 200 else text[:199] + "…"


def text_card(text: str) -> Card:
    return Card(body=(line(text),))

"""Who may change a chat's subscriptions, by Telegram's rules.

A DM belongs to its user; a group's subscriptions belong to its administrators; a
channel is managed from a DM by someone who administers it, and only when the bot can
post there. Rights are asked from the Bot API each time, never cached, so a demoted
admin loses them at once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import Bot, ChatMember, ChatMemberAdministrator, Message
from telegram import error as tg
from telegram.constants import ChatType

from bot.core.words import _

log = logging.getLogger("newsbot.telegram")

_MANAGERS = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
# "/subscribe iraq in @channel" or "... in -1001234567890" (a channel's numeric id)
_IN_CHANNEL = re.compile(r"\s+in\s+(@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{5,15})\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """A channel the user may manage from a DM; ``refusal`` explains why not."""

    chat_id: int | None
    title: str
    refusal: str | None = None


def split_channel(text: str) -> tuple[str, str | None]:
    """``"/subscribe iraq in @news"`` → ``("/subscribe iraq", "@news")``."""
    match = _IN_CHANNEL.search(text)
    if match is None:
        return text, None
    return text[: match.start()], match.group(1)


async def is_chat_admin(bot: Bot, message: Message) -> bool:
    """Whether the sender of ``message`` administers its chat."""
    chat = message.chat
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True  # a DM's owner, or a channel post (only admins can post)
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous admin writes as the group itself
    if message.from_user is None:
        return False
    return await is_admin(bot, chat.id, message.from_user.id)


async def is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except tg.TelegramError as err:
        log.warning(
            "event=telegram.rights_unknown chat=%s user=%s reason=%r", chat_id, user_id, err.message
        )
        return False
    return member.status in _MANAGERS


async def channel_target(bot: Bot, user_id: int, ref: str) -> ChannelTarget:
    """Check that ``user_id`` and the bot both administer channel ``ref`` (@name or id)."""
    try:
        chat = await bot.get_chat(int(ref) if ref.lstrip("-").isdigit() else ref)
    except tg.TelegramError:
        return ChannelTarget(
            None,
            ref,
            _(
                "I can't find %(channel)s. Add me to the channel as an admin, then try again.",
                channel=ref,
            ),
        )
    title = f"@{chat.username}" if chat.username else (chat.title or ref)
    if chat.type != ChatType.CHANNEL:
        return ChannelTarget(
            None,
            title,
            _(
                "%(channel)s is not a channel. For a group, send the command in the group.",
                channel=title,
            ),
        )
    try:
        user = await bot.get_chat_member(chat.id, user_id)
        me = await bot.get_chat_member(chat.id, bot.id)
    except tg.TelegramError:
        return ChannelTarget(
            None,
            title,
            _(
                "I'm not an admin of %(channel)s. Add me as an admin who can post messages.",
                channel=title,
            ),
        )
    if not _can_post(user):
        return ChannelTarget(
            None,
            title,
            _(
                "Only admins of %(channel)s who can post there can change its subscriptions.",
                channel=title,
            ),
        )
    if not _can_post(me):
        return ChannelTarget(
            None,
            title,
            _(
                "I can't post in %(channel)s. Make me an admin who can post messages.",
                channel=title,
            ),
        )
    return ChannelTarget(chat.id, title)


def _can_post(member: ChatMember) -> bool:
    if member.status == ChatMember.OWNER:
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)

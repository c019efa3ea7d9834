"""The delivery side of the Discord adapter: ``bot.core.ports.Messenger`` on a discord.py client.

A Destination is ``("discord", channel_id, thread_id or None)``; a message lives in the
thread when there is one. A forum channel gets one forum post (a thread whose starter
message is the card) per ``send``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from adapters.discord.render import Rendered, render_card, thread_name
from bot.core.cards import Card
from bot.core.domain import Destination, MessageRef
from bot.core.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

log = logging.getLogger("newsbot.discord")

FETCHED_CHANNELS = 10_000
NONCE_MAX = 25  # Discord drops longer nonces with 400/50035
NO_MENTIONS = discord.AllowedMentions.none()
# Codes that mean "this destination is gone or refuses us" (not a bad request).
PERMANENT_CODES = frozenset({10003, 10004, 50001, 50013, 50007, 10008, 50083})

PermissionLost = Callable[[Destination, str], Awaitable[None]]


def short_nonce(nonce: str) -> str:
    """Discord nonces are at most 25 characters; longer ones are hashed deterministically."""
    if len(nonce) <= NONCE_MAX:
        return nonce
    return hashlib.sha256(nonce.encode()).hexdigest()[:NONCE_MAX]


def map_error(err: Exception, *, idempotent: bool) -> DeliveryError:
    """A discord.py / aiohttp error as one of the core's delivery errors."""
    if isinstance(err, discord.RateLimited):
        return TransientDeliveryError("rate limited", retry_after=err.retry_after)
    if isinstance(err, discord.HTTPException):
        code = err.code
        reason = f"discord {err.status}/{code}: {err.text[:200]}"
        if err.status == 429:
            retry = err.response.headers.get("Retry-After")
            try:
                retry_after = float(retry) if retry else None
            except ValueError:
                retry_after = None
            return TransientDeliveryError(reason, retry_after=retry_after)
        if err.status >= 500:
            return TransientDeliveryError(reason)
        if isinstance(err, discord.Forbidden | discord.NotFound) or code in PERMANENT_CODES:
            return PermanentDeliveryError(reason)
        # 400 and the like: our request was wrong; retrying the same request cannot help
        # and the chat is fine, so this is neither transient nor a reason to pause.
        return DeliveryError(reason)
    if isinstance(err, asyncio.TimeoutError | aiohttp.ServerDisconnectedError) and not idempotent:
        return AmbiguousDeliveryError(f"no answer from discord: {type(err).__name__}")
    if isinstance(err, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return TransientDeliveryError(f"connection: {type(err).__name__}")
    raise err


class DiscordMessenger:
    """Sends cards to channels, threads and forums. ``platform = "discord"``."""

    platform = "discord"

    def __init__(
        self, client: discord.Client, *, on_permission_lost: PermissionLost | None = None
    ) -> None:
        self._client = client
        self._on_permission_lost = on_permission_lost
        # Channels fetched over REST (not in the gateway cache), so a fan-out does not spend
        # one extra request of the global rate limit per message.
        self._fetched: OrderedDict[int, Any] = OrderedDict()

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        rendered = render_card(card)
        target = destination.thread_id or destination.chat_id
        forum = False
        try:
            channel = await self._channel(int(destination.chat_id))
            forum = isinstance(channel, discord.ForumChannel) and destination.thread_id is None
            if forum:
                message = await self._forum_post(channel, card, rendered)
                ref = MessageRef(
                    Destination("discord", destination.chat_id, str(message.channel.id)),
                    str(message.id),
                )
            else:
                messageable = self._client.get_partial_messageable(int(target))
                payload, mentions = _payload(rendered), NO_MENTIONS
                if card.mention_role and card.mention_role.isdigit():
                    # Only this role may be pinged, whatever the text says.
                    payload["content"] = f"<@&{card.mention_role}> {payload['content'] or ''}"
                    mentions = discord.AllowedMentions(
                        everyone=False,
                        users=False,
                        roles=[discord.Object(int(card.mention_role))],
                        replied_user=False,
                    )
                message = await messageable.send(
                    **payload, nonce=short_nonce(nonce), allowed_mentions=mentions
                )
                ref = MessageRef(destination, str(message.id))
                if destination.thread_id is None and _is_announcement(channel):
                    await self._publish(message, destination)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise await self._failed("send", destination, err, idempotent=not forum) from err
        log.info(
            "discord.sent dest=%s message=%s story=%s size=%d",
            destination.key,
            ref.message_id,
            card.story_id,
            rendered.size(),
        )
        return ref

    async def _publish(self, message: discord.Message, destination: Destination) -> None:
        """Crosspost a post in an announcement channel to the servers that follow it.
        The post is delivered either way: a refusal or the route's rate limit (Discord
        allows few publishes an hour per channel) skips the publish, never the post."""
        try:
            await message.publish()
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as err:
            log.warning(
                "discord.publish_skipped dest=%s message=%s reason=%r",
                destination.key, message.id, str(err),
            )  # fmt: skip
            return
        log.info("discord.published dest=%s message=%s", destination.key, message.id)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        rendered = render_card(card)
        channel_id = int(ref.destination.thread_id or ref.destination.chat_id)
        message = self._client.get_partial_messageable(channel_id).get_partial_message(
            int(ref.message_id)
        )
        payload = _payload(rendered)
        # An edit replaces the whole message: clear an embed or buttons the card no longer has.
        payload.setdefault("embed", None)
        payload.setdefault("view", None)
        try:
            await message.edit(**payload, allowed_mentions=NO_MENTIONS)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise await self._failed("edit", ref.destination, err, idempotent=True) from err
        log.info("discord.edited dest=%s message=%s", ref.destination.key, ref.message_id)

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        rendered = render_card(card)
        channel_id = int(ref.destination.thread_id or ref.destination.chat_id)
        messageable = self._client.get_partial_messageable(channel_id)
        reference = discord.MessageReference(
            message_id=int(ref.message_id), channel_id=channel_id, fail_if_not_exists=False
        )
        try:
            message = await messageable.send(
                **_payload(rendered),
                nonce=short_nonce(nonce),
                reference=reference,
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as err:
            raise await self._failed("reply", ref.destination, err, idempotent=True) from err
        log.info("discord.replied dest=%s message=%s", ref.destination.key, message.id)
        return MessageRef(ref.destination, str(message.id))

    async def _channel(self, channel_id: int) -> Any:
        cached = self._client.get_channel(channel_id) or self._fetched.get(channel_id)
        if cached is not None:
            return cached
        channel = await self._client.fetch_channel(channel_id)
        self._fetched[channel_id] = channel
        if len(self._fetched) > FETCHED_CHANNELS:
            self._fetched.popitem(last=False)
        return channel

    async def _forum_post(
        self, forum: discord.ForumChannel, card: Card, rendered: Rendered
    ) -> discord.Message:
        # Thread creation takes no nonce: a lost answer here is ambiguous (see send).
        created = await forum.create_thread(
            name=thread_name(card), **_payload(rendered), allowed_mentions=NO_MENTIONS
        )
        return created.message

    async def _failed(
        self, what: str, destination: Destination, err: Exception, *, idempotent: bool
    ) -> DeliveryError:
        if isinstance(err, DeliveryError):
            return err
        mapped = map_error(err, idempotent=idempotent)
        log.warning(
            "discord.%s_failed dest=%s error=%s reason=%r",
            what,
            destination.key,
            type(mapped).__name__,
            str(mapped),
        )
        if isinstance(mapped, PermanentDeliveryError) and self._on_permission_lost is not None:
            await self._on_permission_lost(destination, str(mapped))
        return mapped


def _is_announcement(channel: Any) -> bool:
    return getattr(channel, "type", None) == discord.ChannelType.news


def _payload(rendered: Rendered) -> dict[str, Any]:
    payload: dict[str, Any] = {"content": rendered.content}
    if rendered.embed is not None:
        payload["embed"] = rendered.embed
    view = rendered.view()
    if view is not None:
        payload["view"] = view
    return payload

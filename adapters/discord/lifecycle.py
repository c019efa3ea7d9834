"""Where the bot can no longer post: pause those subscriptions and tell the admins once.

Triggers: the bot removed from a server, a channel or thread deleted (gateway events),
and a send refused with 403/50013 or 404/10003 (reported by the messenger).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import discord

from bot.commands.router import Commands, Invocation
from bot.core.domain import Destination
from bot.core.words import N_, _, speaking

log = logging.getLogger("newsbot.discord")

NO_MENTIONS = discord.AllowedMentions.none()
# Told in the server's language: the system channel's chosen one, else the server's locale.
LOST_RIGHTS = N_(
    "I lost permission to post in %(channel)s, so its news subscriptions are paused. Give me "
    "View Channel, Send Messages and Embed Links there (and Send Messages in Threads / Create "
    "Posts for threads and forums), then run /subscribe there again."
)
UNREACHABLE = N_(
    "I can no longer reach %(channel)s, so its news subscriptions are paused. Give me "
    "View Channel, Send Messages and Embed Links there (and Send Messages in Threads / Create "
    "Posts for threads and forums), then run /subscribe there again."
)


def destinations_in(channel: Any) -> list[Destination]:
    """A channel's own destination and those of its cached threads."""
    out = [Destination("discord", str(channel.id), None)]
    for thread in getattr(channel, "threads", ()):
        out.append(Destination("discord", str(channel.id), str(thread.id)))
    return out


class Lifecycle:
    def __init__(
        self,
        client: discord.Client,
        commands: Commands,
        *,
        report: Callable[[BaseException], None],
    ) -> None:
        self._client = client
        self._commands = commands
        self._report = report
        self._told: set[str] = set()

    def install(self) -> None:
        client = self._client

        @client.event
        async def on_guild_remove(guild: discord.Guild) -> None:
            channels: list[Any] = [*guild.channels, *guild.threads]
            dests = [d for ch in channels for d in _destinations_of(ch)]
            await self._pause(dests, f"removed from guild {guild.id}")

        @client.event
        async def on_guild_channel_delete(channel: discord.abc.GuildChannel) -> None:
            await self._pause(destinations_in(channel), "channel deleted")

        @client.event
        async def on_raw_thread_delete(payload: discord.RawThreadDeleteEvent) -> None:
            dest = Destination("discord", str(payload.parent_id), str(payload.thread_id))
            await self._pause([dest], "thread deleted")

    async def _pause(self, dests: Iterable[Destination], why: str) -> None:
        total = 0
        try:
            for dest in dict.fromkeys(dests):
                total += await self._commands.pause_destination(dest)
        except Exception as err:  # a gateway event handler's error is otherwise only logged
            self._report(err)
            return
        log.warning("discord.paused reason=%r subscriptions=%d", why, total)

    async def lost(self, destination: Destination, reason: str) -> None:
        """A send was refused for good: pause, and tell the server's admins once."""
        await self._pause([destination], reason)
        if destination.key in self._told:
            return
        self._told.add(destination.key)
        await self._tell_admins(destination, reason)

    async def _tell_admins(self, destination: Destination, reason: str) -> None:
        channel = self._client.get_channel(int(destination.chat_id))
        guild = getattr(channel, "guild", None)
        notice_channel = getattr(guild, "system_channel", None)
        if notice_channel is None or notice_channel.id == int(destination.chat_id):
            log.info("discord.admins_not_told dest=%s reason=no_other_channel", destination.key)
            return
        where = f"<#{destination.thread_id or destination.chat_id}>"
        lost_rights = "50013" in reason or "50001" in reason
        inv = Invocation(
            Destination("discord", str(notice_channel.id)),
            "",
            can_manage=False,
            language_hint=str(getattr(guild, "preferred_locale", "") or "") or None,
        )
        with speaking(await self._commands.words_for(inv)):
            text = _(LOST_RIGHTS if lost_rights else UNREACHABLE, channel=where)
        try:
            await notice_channel.send(text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as err:
            log.info("discord.admins_not_told dest=%s reason=%r", destination.key, err.text[:100])
            return
        log.info(
            "discord.admins_told dest=%s notice_channel=%s", destination.key, notice_channel.id
        )


def _destinations_of(channel: Any) -> list[Destination]:
    if isinstance(channel, discord.Thread):
        return [Destination("discord", str(channel.parent_id), str(channel.id))]
    return [Destination("discord", str(channel.id), None)]

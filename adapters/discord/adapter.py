"""The Discord adapter: client lifecycle, slash commands, autocomplete and button clicks.

Every interaction is answered within Discord's 3 seconds: a command that is not done
after ``defer_after_s`` is deferred ("thinking…") and answered by a follow-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
import yarl
from discord import app_commands

from adapters.discord.buttons import ActionButton
from adapters.discord.config import DiscordConfig
from adapters.discord.lifecycle import Lifecycle
from adapters.discord.messenger import NO_MENTIONS, DiscordMessenger
from adapters.discord.render import render_card
from adapters.discord.slash import Work, build_commands
from adapters.discord.translator import CatalogTranslator
from bot.commands.router import Commands, Invocation
from bot.core.cards import Action, Card, line
from bot.core.domain import Destination
from bot.core.errors import CommandError, ConfigError, NewsbotError
from bot.core.words import N_, _, speaking

log = logging.getLogger("newsbot.discord")

SORRY_TEXT = N_("Something went wrong on my side; please try again in a minute.")


def sorry() -> Card:
    return Card(body=(line(_(SORRY_TEXT)),))


ErrorHook = Callable[[BaseException], None]
T = TypeVar("T")


class _Client(discord.Client):
    newsbot_on_action: Any = None


class _ShardedClient(discord.AutoShardedClient):
    newsbot_on_action: Any = None


def invocation_of(interaction: discord.Interaction[Any]) -> Invocation:
    """Where and by whom: a thread maps to (parent, thread); a DM is private and owned;
    a server's channels share the server's scope (its feeds).

    A post inside a forum maps to the forum itself: each story becomes its own forum post.
    """
    user_id = str(interaction.user.id)
    channel = interaction.channel
    if interaction.guild_id is None:
        dest = Destination("discord", str(interaction.channel_id), None)
        return Invocation(
            dest, user_id, can_manage=True, is_private=True, language_hint=str(interaction.locale)
        )
    if isinstance(channel, discord.Thread) and isinstance(channel.parent, discord.ForumChannel):
        dest = Destination("discord", str(channel.parent_id), None)
    elif isinstance(channel, discord.Thread) and channel.parent_id is not None:
        dest = Destination("discord", str(channel.parent_id), str(channel.id))
    else:
        dest = Destination("discord", str(interaction.channel_id), None)
    # A server's channels share its feeds: the scope is the server, not the channel.
    return Invocation(
        dest,
        user_id,
        can_manage=interaction.permissions.manage_channels,
        scope=f"discord:guild:{interaction.guild_id}",
        # A community server's preferred locale; others report en-US, a default, not a choice.
        language_hint=str(interaction.guild_locale) if interaction.guild_locale else None,
    )


class _Endpoints:
    """Points discord.py at ``api_base_url`` / ``gateway_url`` (class attributes, so global)."""

    def __init__(self, config: DiscordConfig) -> None:
        self._base = config.api_base_url.rstrip("/")
        self._gateway = yarl.URL(config.gateway_url)
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        if self._saved is None:
            self._saved = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = self._base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._gateway

    def restore(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None


class DiscordAdapter:
    """Runs the bot on Discord. ``messenger`` is what the delivery stage sends through."""

    def __init__(
        self,
        config: DiscordConfig,
        *,
        token: str,
        commands: Commands,
        on_handler_error: ErrorHook | None = None,
    ) -> None:
        if not token:
            raise ConfigError("NEWSBOT_DISCORD_TOKEN is empty; set it to the bot's token.")
        self.config = config
        self.commands = commands
        self._token = token
        self._on_handler_error = on_handler_error
        self._endpoints = _Endpoints(config)
        self._runner: asyncio.Task[None] | None = None
        self.client = self._make_client()
        self.client.newsbot_on_action = self.on_action
        self.client.add_dynamic_items(ActionButton)
        self.tree: app_commands.CommandTree[Any] = app_commands.CommandTree(self.client)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        for command in build_commands(self):
            self.tree.add_command(command)
        self.lifecycle = Lifecycle(self.client, commands, report=self.report_error)
        self.messenger = DiscordMessenger(self.client, on_permission_lost=self.lifecycle.lost)
        self.lifecycle.install()

    def _make_client(self) -> _Client | _ShardedClient:
        intents = discord.Intents.none()
        intents.guilds = True  # channels, threads and removals; no message content needed
        options: dict[str, Any] = {
            "intents": intents,
            "allowed_mentions": NO_MENTIONS,
            "application_id": self.config.application_id or None,
            "guild_ready_timeout": self.config.guild_ready_timeout_s,
            "max_ratelimit_timeout": self.config.max_ratelimit_wait_s,
        }
        if self.config.shards is None and not self.config.shard_ids:
            return _Client(**options)
        if self.config.shard_ids:
            options["shard_ids"] = list(self.config.shard_ids)
        return _ShardedClient(**options, shard_count=self.config.shards)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Log in, connect in the background, sync commands, and wait until ready."""
        self._endpoints.apply()
        try:
            await self.client.login(self._token)
        except discord.LoginFailure as err:
            await self.client.close()
            self._endpoints.restore()
            raise ConfigError(
                "NEWSBOT_DISCORD_TOKEN was refused by Discord; check the bot token."
            ) from err
        self._runner = asyncio.create_task(self.client.connect(reconnect=True), name="discord")
        self._runner.add_done_callback(self._connection_ended)
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._runner},
            timeout=self.config.ready_timeout_s,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            failure = self._runner.exception() if self._runner in done else None
            await self.stop()
            reason = f": {failure}" if failure else f" within {self.config.ready_timeout_s:.0f} s"
            raise ConfigError(f"[discord] could not connect to the gateway{reason}") from failure
        await self.tree.set_translator(CatalogTranslator(self.commands.words))
        await self.sync_commands()
        user = self.client.user
        log.info(
            "discord.ready user=%s guilds=%d shards=%s",
            user.id if user else "?",
            len(self.client.guilds),
            self.config.shards or 1,
        )

    def _connection_ended(self, task: asyncio.Task[None]) -> None:
        # connect() only returns on close(); anything else (a malformed event, a fatal
        # close code) ends the bot's connection for good, so it must not pass silently.
        if task.cancelled():
            return
        err = task.exception()
        if err is None and self.client.is_closed():
            return
        log.error("discord.disconnected error=%r", err)
        if err is not None:
            self.report_error(err)

    async def sync_commands(self) -> None:
        guild_id = self.config.dev_guild
        if guild_id is None:
            synced = await self.tree.sync()
        else:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        log.info("discord.commands_synced count=%d guild=%s", len(synced), guild_id or "global")

    def connected(self) -> bool:
        """For /readyz: logged in, gateway ready and not closed."""
        return self.client.is_ready() and not self.client.is_closed()

    async def stop(self) -> None:
        await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._runner, timeout=10)
            self._runner = None
        self._endpoints.restore()
        log.info("discord.stopped")

    # ------------------------------------------------------------ answering

    async def answer(
        self, interaction: discord.Interaction[Any], name: str, work: Work, *, ephemeral: bool
    ) -> None:
        """Run ``work`` and answer; defer first when it is slow, so Discord never times out."""
        started = time.monotonic()
        inv = invocation_of(interaction)
        words = await self.commands.words_for(inv)
        with speaking(words):  # the task copies the language with the rest of the context
            task = asyncio.ensure_future(work(inv))
        done, _ = await asyncio.wait({task}, timeout=self.config.defer_after_s)
        deferred = not done
        if deferred:
            try:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            except BaseException:
                task.cancel()  # nobody can see the answer any more
                raise
        try:
            card = await task
        except CommandError as err:  # a person's mistake: the message says what to do
            card = Card(body=(line(str(err)),))
        except NewsbotError as err:
            log.warning("discord.command_failed command=%s error=%r", name, err)
            with speaking(words):
                card = sorry()
        except Exception as err:  # a bug; an answer is still owed
            self.report_error(err)
            with speaking(words):
                card = sorry()
        await self._reply(interaction, card, ephemeral=ephemeral)
        log.info(
            "discord.command command=%s dest=%s user=%s deferred=%s ms=%d",
            name,
            inv.destination.key,
            inv.user_id,
            deferred,
            (time.monotonic() - started) * 1000,
        )

    async def _reply(
        self, interaction: discord.Interaction[Any], card: Card, *, ephemeral: bool
    ) -> None:
        rendered = render_card(card)
        payload: dict[str, Any] = {"content": rendered.content}
        if rendered.embed is not None:
            payload["embed"] = rendered.embed
        view = rendered.view()
        if view is not None:
            payload["view"] = view
        if interaction.response.is_done():
            await interaction.followup.send(
                **payload, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                **payload, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )

    async def export_file(self, interaction: discord.Interaction[Any]) -> None:
        """``/export``: the server's feeds as an OPML file, to the person who asked."""
        inv = invocation_of(interaction)
        try:
            with speaking(await self.commands.words_for(inv)):
                card, data = await self.commands.export_feeds(inv)
        except CommandError as err:
            card, data = Card(body=(line(str(err)),)), None
        except NewsbotError as err:
            log.warning("discord.command_failed command=export error=%r", err)
            card, data = sorry(), None
        if data is None:
            await self._reply(interaction, card, ephemeral=True)
            return
        await interaction.response.send_message(
            render_card(card).content or card.plain_text(),
            file=discord.File(io.BytesIO(data), filename="newsbot-feeds.opml"),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        log.info("discord.command command=export dest=%s", inv.destination.key)

    async def on_action(
        self, interaction: discord.Interaction[Any], action: Action, label: str | None
    ) -> None:
        """A button under a post: the answer goes only to the person who clicked."""
        try:
            await self.answer(
                interaction,
                f"press:{action.kind}",
                lambda inv: self.commands.press(inv, action, label=label),
                ephemeral=True,
            )
        except Exception as err:  # discord.py only logs errors of dynamic items
            self.report_error(err)

    async def topic_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        dest = invocation_of(interaction).destination
        topics = await self._within(self.commands.topics_of(dest), default=[])
        wanted = current.strip().lower()
        return [
            app_commands.Choice(name=topic[:100], value=topic[:100])
            for topic in topics
            if wanted in topic.lower()
        ][:25]

    async def story_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self._within(self.commands.story_choices(current, 25), default=[])
        return [
            app_commands.Choice(name=f"{story_id} — {headline}"[:100], value=story_id)
            for story_id, headline in found
        ][:25]

    async def _within(self, work: Awaitable[T], *, default: T) -> T:
        # Autocomplete cannot be deferred: a late list is worth nothing, an empty one is fine.
        try:
            result: T = await asyncio.wait_for(work, timeout=self.config.autocomplete_timeout_s)
        except TimeoutError:
            log.warning(
                "discord.autocomplete_slow timeout_s=%s", self.config.autocomplete_timeout_s
            )
            return default
        return result

    # ------------------------------------------------------------ errors

    def report_error(self, err: BaseException) -> None:
        log.error("discord.handler_error error=%r", err, exc_info=err)
        if self._on_handler_error is not None:
            self._on_handler_error(err)

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        self.report_error(
            error.original if isinstance(error, app_commands.CommandInvokeError) else error
        )
        if interaction.type is discord.InteractionType.autocomplete:
            return
        with contextlib.suppress(discord.HTTPException):
            await self._reply(interaction, sorry(), ephemeral=True)

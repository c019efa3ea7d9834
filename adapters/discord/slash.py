"""Slash commands: names, descriptions and typed options, each a thin call into ``Commands``.

Reads (/latest, /expand, /sources, /ask, /catchup, /search, /help, /feeds, /subscriptions)
answer only the person who asked, so a channel stays calm; changes (/subscribe, /unsubscribe,
/addfeed, /removefeed, /settings timezone) answer in the channel so its members see what
changed. Feeds belong to the server: /addfeed, /removefeed and /feeds need Manage Channels,
like subscriptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.commands.router import COMMANDS, Commands, Invocation
from bot.core.cards import Card
from bot.core.errors import CommandError
from bot.core.words import N_, _, isolate

Work = Callable[[Invocation], Awaitable[Card]]
_DESCRIPTIONS = {info.name: info.description for info in COMMANDS}
MIN_OUTLETS = app_commands.Range[int, 1, 50]
# Shown by default only to members with Manage Channels (server admins can widen that).
MANAGE_COMMANDS = frozenset(
    {"subscribe", "unsubscribe", "addfeed", "removefeed", "feeds", "import", "export"}
)


class Responder(Protocol):
    """What the slash commands need from the adapter."""

    commands: Commands

    async def answer(
        self, interaction: discord.Interaction[Any], name: str, work: Work, *, ephemeral: bool
    ) -> None: ...

    async def topic_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]: ...

    async def story_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]: ...

    async def export_file(self, interaction: discord.Interaction[Any]) -> None: ...


def check_pingable(interaction: discord.Interaction[Any], role: discord.Role) -> None:
    """Refuse a role the bot may not mention here: checked now, not at the first post."""
    if interaction.guild_id is None or role.is_default():
        raise CommandError(_("Pick a role of this server to ping (not @everyone)."))
    if not (role.mentionable or interaction.app_permissions.mention_everyone):
        raise CommandError(
            _(
                "I can't mention %(role)s: make the role mentionable, or give me the "
                '"Mention @everyone, @here and All Roles" permission, then subscribe again.',
                role=isolate(f"@{role.name}"),
            )
        )


def describe(name: str) -> app_commands.locale_str:
    """A command's description as Discord takes it (100 characters at most), carrying its
    whole catalog message for the translator."""
    message = _DESCRIPTIONS.get(name, name)
    return app_commands.locale_str(message[:100], msgid=message)


def build_commands(r: Responder) -> list[app_commands.Command[Any, Any, Any]]:
    """The application commands, bound to the responder ``r``."""
    c = r.commands
    manage = discord.Permissions(manage_channels=True)

    @app_commands.command(name="subscribe", description=describe("subscribe"))
    @app_commands.describe(
        topic=N_('Words to follow, e.g. iraq, "al asad" OR baghdad, iraq -football'),
        breaking_only=N_("Only post breaking stories"),
        min_outlets=N_("Post a story only once this many outlets report it (default 2)"),
        only_ours=N_("Only this server's own feeds, not the bot operator's"),
        ping=N_("A role to mention on each story's first post (never on edits)"),
    )
    async def subscribe(  # noqa: PLR0917 - discord.py maps options onto parameters
        interaction: discord.Interaction[Any],
        topic: str,
        breaking_only: bool = False,
        min_outlets: MIN_OUTLETS = 2,
        only_ours: bool = False,
        ping: discord.Role | None = None,
    ) -> None:
        async def work(inv: Invocation) -> Card:
            if ping is not None:
                check_pingable(interaction, ping)
            return await c.subscribe(
                inv,
                topic,
                breaking_only=breaking_only,
                min_outlets=min_outlets,
                only_ours=only_ours,
                ping_role=str(ping.id) if ping is not None else None,
            )

        await r.answer(interaction, "subscribe", work, ephemeral=False)

    @app_commands.command(name="unsubscribe", description=describe("unsubscribe"))
    @app_commands.describe(topic=N_("A topic this channel follows"))
    @app_commands.autocomplete(topic=r.topic_choices)
    async def unsubscribe(interaction: discord.Interaction[Any], topic: str) -> None:
        await r.answer(
            interaction, "unsubscribe", lambda inv: c.unsubscribe(inv, topic), ephemeral=False
        )

    @app_commands.command(name="subscriptions", description=describe("subscriptions"))
    async def subscriptions(interaction: discord.Interaction[Any]) -> None:
        await r.answer(interaction, "subscriptions", c.subscriptions, ephemeral=True)

    @app_commands.command(name="latest", description=describe("latest"))
    @app_commands.describe(topic=N_("Only stories about this (optional)"))
    async def latest(interaction: discord.Interaction[Any], topic: str | None = None) -> None:
        await r.answer(interaction, "latest", lambda inv: c.latest(inv, topic), ephemeral=True)

    @app_commands.command(name="expand", description=describe("expand"))
    @app_commands.describe(story=N_("Story id, e.g. k7q2"), section=N_("Section number or heading"))
    @app_commands.autocomplete(story=r.story_choices)
    async def expand(
        interaction: discord.Interaction[Any], story: str, section: str | None = None
    ) -> None:
        await r.answer(
            interaction, "expand", lambda inv: c.expand(inv, story, section), ephemeral=True
        )

    @app_commands.command(name="sources", description=describe("sources"))
    @app_commands.describe(story=N_("Story id, e.g. k7q2"))
    @app_commands.autocomplete(story=r.story_choices)
    async def sources(interaction: discord.Interaction[Any], story: str) -> None:
        await r.answer(interaction, "sources", lambda inv: c.sources(inv, story), ephemeral=True)

    @app_commands.command(name="ask", description=describe("ask"))
    @app_commands.describe(story=N_("Story id, e.g. k7q2"), question=N_("What you want to know"))
    @app_commands.autocomplete(story=r.story_choices)
    async def ask(
        interaction: discord.Interaction[Any],
        story: str,
        question: app_commands.Range[str, 1, 500],
    ) -> None:
        await r.answer(interaction, "ask", lambda inv: c.ask(inv, story, question), ephemeral=True)

    @app_commands.command(name="catchup", description=describe("catchup"))
    @app_commands.describe(
        topic=N_("Only stories about this (optional)"),
        since=N_("From when: 12h, 2d, monday, yesterday (default: since you last caught up)"),
        page=N_("Page of a long catch-up"),
    )
    async def catchup(
        interaction: discord.Interaction[Any],
        topic: str | None = None,
        since: str | None = None,
        page: app_commands.Range[int, 1, 50] = 1,
    ) -> None:
        args = " ".join(p for p in (topic, since, f"--page {page}" if page > 1 else None) if p)
        await r.answer(interaction, "catchup", lambda inv: c.catchup(inv, args), ephemeral=True)

    @app_commands.command(name="search", description=describe("search"))
    @app_commands.describe(
        words=N_('Words, "phrases", OR and -exclusions'), page=N_("Page of the results")
    )
    async def search(
        interaction: discord.Interaction[Any],
        words: str,
        page: app_commands.Range[int, 1, 50] = 1,
    ) -> None:
        args = words if page == 1 else f"{words} --page {page}"
        await r.answer(interaction, "search", lambda inv: c.search(inv, args), ephemeral=True)

    @app_commands.command(name="settings", description=describe("settings"))
    @app_commands.describe(timezone=N_("An IANA time zone such as Europe/Berlin (empty: show)"))
    async def settings(interaction: discord.Interaction[Any], timezone: str | None = None) -> None:
        args = f"timezone {timezone}" if timezone else ""
        await r.answer(
            interaction, "settings", lambda inv: c.settings(inv, args), ephemeral=not timezone
        )

    @app_commands.command(name="language", description=describe("language"))
    @app_commands.describe(code=N_("A language code such as de, fr, pt-BR; 'default' resets"))
    async def language(interaction: discord.Interaction[Any], code: str | None = None) -> None:
        await r.answer(
            interaction, "language", lambda inv: c.language(inv, code or ""), ephemeral=not code
        )

    @app_commands.command(name="addfeed", description=describe("addfeed"))
    @app_commands.describe(url=N_("Address of a site or its RSS/Atom feed"))
    async def addfeed(interaction: discord.Interaction[Any], url: str) -> None:
        await r.answer(interaction, "addfeed", lambda inv: c.add_feed(inv, url), ephemeral=False)

    @app_commands.command(name="removefeed", description=describe("removefeed"))
    @app_commands.describe(url=N_("The feed address, as /feeds shows it"))
    async def removefeed(interaction: discord.Interaction[Any], url: str) -> None:
        await r.answer(
            interaction, "removefeed", lambda inv: c.remove_feed(inv, url), ephemeral=False
        )

    @app_commands.command(name="feeds", description=describe("feeds"))
    async def feeds(interaction: discord.Interaction[Any]) -> None:
        await r.answer(interaction, "feeds", c.feeds, ephemeral=True)

    @app_commands.command(name="import", description=describe("import"))
    @app_commands.describe(file=N_("An OPML file of feeds (from another feed reader)"))
    async def import_(interaction: discord.Interaction[Any], file: discord.Attachment) -> None:
        async def work(inv: Invocation) -> Card:
            limit = c.opml.max_bytes if c.opml is not None else 0
            if not inv.can_manage or file.size > limit:
                data = b"x" * (limit + 1) if inv.can_manage else b""  # refused, unread
            else:
                data = await file.read()
            return await c.guarded("import", inv, c.import_feeds(inv, data, file.filename))

        await r.answer(interaction, "import", work, ephemeral=False)

    @app_commands.command(name="export", description=describe("export"))
    async def export(interaction: discord.Interaction[Any]) -> None:
        await r.export_file(interaction)

    @app_commands.command(name="usage", description=describe("usage"))
    async def usage(interaction: discord.Interaction[Any]) -> None:
        await r.answer(interaction, "usage", c.usage_report, ephemeral=True)

    @app_commands.command(name="help", description=describe("help"))
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await r.answer(interaction, "help", c.help, ephemeral=True)

    built: list[app_commands.Command[Any, Any, Any]] = [
        subscribe,
        unsubscribe,
        subscriptions,
        latest,
        expand,
        sources,
        ask,
        catchup,
        search,
        settings,
        language,
        addfeed,
        removefeed,
        feeds,
        import_,
        export,
        usage,
        help_,
    ]
    for command in built:
        # Usable in servers and in DMs with the bot; changes need Manage Channels by default
        # (server admins can widen that in Integrations), and Commands checks again at run time.
        command.allowed_contexts = app_commands.AppCommandContext(guild=True, dm_channel=True)
        if command.name in MANAGE_COMMANDS:
            command.default_permissions = manage
    return built

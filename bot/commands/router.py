"""The commands people type, the same on every platform.

Adapters decide who may change what (``Invocation.can_manage``) and translate platform
events into calls here; the answers are platform-neutral ``Card``s. Wrong input never
raises out of this package: it gets a one-line explanation and a hint. The handlers
live in groups: subscriptions, stories and feeds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands.base import Invocation, card, log
from bot.commands.catchup import CatchupCommands
from bot.commands.digests import DigestCommands
from bot.commands.feeds import FeedCommands
from bot.commands.ports import FeedProbe
from bot.commands.search import SearchCommands
from bot.commands.settings import SettingsCommands
from bot.commands.stories import StoryCommands
from bot.commands.subscriptions import SubscriptionCommands
from bot.core.cards import Action, Card, Line, Text
from bot.core.errors import CommandError, NewsbotError
from bot.core.words import N_, _, speaking
from bot.text.sentences import shorten


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    description: str
    usage: str


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        "subscribe",
        N_("Follow a topic in this chat"),
        "/subscribe <topic> [--breaking] [--outlets N] [--only-ours] [--digest daily 08:00]",
    ),
    CommandInfo("unsubscribe", N_("Stop following a topic"), "/unsubscribe <topic>"),
    CommandInfo("subscriptions", N_("List this chat's topics"), "/subscriptions"),
    CommandInfo("latest", N_("Recent stories, optionally on a topic"), "/latest [topic]"),
    CommandInfo("expand", N_("A story's section in full"), "/expand <story> [section]"),
    CommandInfo("sources", N_("The sources of a story"), "/sources <story>"),
    CommandInfo("ask", N_("Ask a question about a story"), "/ask <story> <question>"),
    CommandInfo(
        "catchup",
        N_("The most important stories since you last caught up"),
        "/catchup [topic] [12h|2d|monday]",
    ),
    CommandInfo("search", N_("Find stored stories by their words"), "/search <words>"),
    CommandInfo("settings", N_("This chat's time zone"), "/settings timezone <Area/City>"),
    CommandInfo(
        "language", N_("The language of this chat's posts and my words"), "/language <code>"
    ),
    CommandInfo("addfeed", N_("Add a news feed to this server's or chat's own"), "/addfeed <url>"),
    CommandInfo("removefeed", N_("Remove a feed this server or chat added"), "/removefeed <url>"),
    CommandInfo("feeds", N_("This server's or chat's feeds and how they are doing"), "/feeds"),
    CommandInfo("usage", N_("AI use by this chat's questions, and its limit"), "/usage"),
    CommandInfo("import", N_("Add the feeds of an OPML file"), "/import (with an OPML file)"),
    CommandInfo("export", N_("This server's or chat's feeds as an OPML file"), "/export"),
    CommandInfo("help", N_("What I can do"), "/help"),
)
_NAMES = {info.name for info in COMMANDS}


def split_command(text: str) -> tuple[str, str]:
    """``"/subscribe@newsbot iraq"`` → ``("subscribe", "iraq")``."""
    text = text.strip()
    if text.startswith("/"):
        text = text[1:]
    head, _, rest = text.partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, rest.strip()


class Commands(
    SettingsCommands,
    DigestCommands,
    SubscriptionCommands,
    StoryCommands,
    FeedCommands,
    CatchupCommands,
    SearchCommands,
):
    """Every command of the bot, platform-neutral."""

    async def run(self, inv: Invocation, text: str) -> Card:
        """Parse and run one command line, answering in the chat's language. Never raises
        for a person's mistake."""
        with speaking(await self.words_for(inv)):
            return await self._run(inv, text)

    async def _run(self, inv: Invocation, text: str) -> Card:
        name, args = split_command(text)
        handlers: dict[str, Callable[[Invocation, str], Awaitable[Card]]] = {
            "subscribe": self._subscribe_with_digest,
            "unsubscribe": self.unsubscribe,
            "subscriptions": lambda inv, _args: self.subscriptions(inv),
            "latest": lambda inv, args: self.latest(inv, args or None),
            "expand": self._expand_text,
            "sources": self.sources,
            "ask": self._ask_text,
            "catchup": self.catchup,
            "search": self.search,
            "settings": self.settings,
            "language": self.language,
            "addfeed": self.add_feed,
            "removefeed": self.remove_feed,
            "feeds": lambda inv, _args: self.feeds(inv),
            "usage": lambda inv, _args: self.usage_report(inv),
            "import": lambda inv, _args: self.import_feeds(inv, b""),
            "export": self._export_text,
            "help": lambda inv, _args: self.help(inv),
            "start": lambda inv, _args: self.help(inv),
        }
        handler = handlers.get(name)
        if handler is None:
            shown = shorten(name, 30) or _("that")
            return card(
                _("I don't know the command /%(name)s. /help lists what I can do.", name=shown)
            )
        return await self._guard(name, inv, handler(inv, args))

    async def _export_text(self, inv: Invocation, _args: str) -> Card:
        # Platforms that send files call ``export_feeds`` themselves; text gets the OPML.
        answer, data = await self.export_feeds(inv)
        if data is None:
            return answer
        return card(*answer.body, data.decode("utf-8"))

    async def guarded(self, name: str, inv: Invocation, work: Awaitable[Card]) -> Card:
        """Run a command the adapter called directly (an upload, a file): as ``run`` does,
        in the chat's language (a coroutine reads the language when it runs, in here)."""
        with speaking(await self.words_for(inv)):
            return await self._guard(name, inv, work)

    async def _guard(self, name: str, inv: Invocation, work: Awaitable[Card]) -> Card:
        try:
            answer = await work
        except CommandError as err:
            log.info(
                "command.refused command=%s dest=%s reason=%r", name, inv.destination.key, str(err)
            )
            return card(str(err))
        except NewsbotError as err:
            log.warning(
                "command.failed command=%s dest=%s error=%r", name, inv.destination.key, str(err)
            )
            return card(_("Something went wrong on my side; please try again in a minute."))
        log.info("command.ok command=%s dest=%s", name, inv.destination.key)
        return answer

    async def press(self, inv: Invocation, action: Action, *, label: str | None = None) -> Card:
        """A button press on a story post. ``label`` is the button's label as the platform
        shows it, when the adapter can tell; it names the section of an old-format button."""
        with speaking(await self.words_for(inv)):
            return await self._press(inv, action, label)

    async def _press(self, inv: Invocation, action: Action, label: str | None) -> Card:
        if action.kind in ("expand", "sources"):
            try:
                self._take(self._answers, inv, "answers")
            except CommandError as err:
                log.info("command.limited command=press dest=%s", inv.destination.key)
                return card(str(err))
        if action.kind == "expand":
            return await self._guard("expand", inv, self.press_expand(inv, action, label))
        if action.kind == "sources":
            return await self._guard("sources", inv, self.press_sources(inv, action, label))
        return await self._guard("mute", inv, self.mute(inv, action.story_id))

    async def follow_up(self, inv: Invocation, story_id: str, text: str) -> Card:
        """A reply to a story post: ``expand 2``, ``sources`` or a question."""
        with speaking(await self.words_for(inv)):
            return await self._follow_up(inv, story_id, text)

    async def _follow_up(self, inv: Invocation, story_id: str, text: str) -> Card:
        words = text.strip().split(maxsplit=1)
        first = words[0].lower().lstrip("/") if words else ""
        rest = words[1] if len(words) > 1 else ""
        if first == "expand":
            return await self._guard("expand", inv, self.expand(inv, story_id, rest or None))
        if first == "sources":
            return await self._guard("sources", inv, self.sources(inv, story_id))
        return await self._guard("ask", inv, self.ask(inv, story_id, text))

    async def help(self, inv: Invocation) -> Card:
        lines: list[Line | str] = [
            _("I read the news for this chat: one post per story, with its sources.")
        ]
        lines.extend(
            (Text(info.usage, "code"), Text(f" — {_(info.description)}")) for info in COMMANDS
        )
        lines.append(
            _(
                'Topics: words, "quoted phrases", OR, and -exclusions, '
                'e.g. /subscribe "al asad" OR baghdad -football.'
            )
        )
        return card(*lines)


__all__ = [
    "COMMANDS",
    "CommandInfo",
    "Commands",
    "FeedProbe",
    "Invocation",
    "split_command",
]

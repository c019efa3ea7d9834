"""Commands about the feeds a community adds: /addfeed, /removefeed, /feeds.

Each acts on the chat's scope (a Discord server, a Telegram group or channel, a DM) and
needs the rights that change its subscriptions. The operator's feeds serve every scope;
a community's serve only its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.commands.base import CommandBase, Invocation, card, log
from bot.commands.ports import FeedProbe, OpmlCodec, OpmlFeed
from bot.core.cards import Card, Line, Text
from bot.core.domain import OPERATOR_SCOPE, Feed
from bot.core.errors import CommandError, FeedError
from bot.delivery.render import shorten

ADD_HINT = "Give me the address of a site or feed, e.g. /addfeed https://example.com/rss."
SHOWN = 40
MAX_IMPORT = 200  # feeds probed per import: each costs a fetch
IMPORT_HINT = "Send an OPML file (from another feed reader) with /import as its caption."


Adder = Callable[[str, str, OpmlFeed], Awaitable[tuple[Feed, bool]]]


@dataclass
class ImportReport:
    """What an import did: feeds added, and feeds skipped with the reason."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def lines(self, source: str) -> list[Line | str]:
        shown: list[Line | str] = [
            f"Imported {source}: {len(self.added)} added, {len(self.skipped)} skipped."
        ]
        shown.extend(f"+ {shorten(name, 80)}" for name in self.added[:20])
        if len(self.added) > 20:
            shown.append(f"… and {len(self.added) - 20} more added.")
        shown.extend(f"- {shorten(url, 80)}: {why}" for url, why in self.skipped[:20])
        if len(self.skipped) > 20:
            shown.append(f"… and {len(self.skipped) - 20} more skipped.")
        return shown


async def import_opml(
    entries: list[OpmlFeed],
    *,
    probe: FeedProbe,
    room: int,
    add: Adder,
) -> ImportReport:
    """Every feed of an OPML file through the address guard and autodiscovery, as
    /addfeed does, until the scope's quota (``room``) is full."""
    report = ImportReport()
    seen: set[str] = set()
    for number, entry in enumerate(entries):
        if entry.url in seen:
            continue
        seen.add(entry.url)
        if number >= MAX_IMPORT:
            report.skipped.append((entry.url, f"only the first {MAX_IMPORT} feeds are read"))
            continue
        if len(report.added) >= room:
            report.skipped.append((entry.url, "this chat's feed limit is reached"))
            continue
        try:
            url = check_address(entry.url)
            feed_url, title = await probe.probe(url)
        except CommandError:
            report.skipped.append((entry.url, "not a web address"))
            continue
        except FeedError as err:
            report.skipped.append((entry.url, shorten(str(err), 100)))
            continue
        feed, added = await add(feed_url, entry.title or title or feed_url, entry)
        if added:
            report.added.append(feed.name)
        else:
            report.skipped.append((entry.url, "already one of the feeds"))
    return report


def check_address(url: str) -> str:
    """A web address as typed, or a CommandError saying what is wrong with it."""
    url = url.strip()
    if not url:
        raise CommandError(ADD_HINT)
    if len(url) > 2000 or any(c.isspace() for c in url):
        raise CommandError(
            "That doesn't look like a web address. Example: /addfeed https://example.com/rss."
        )
    return url


class FeedCommands(CommandBase):
    async def add_feed(self, inv: Invocation, url: str) -> Card:
        self._require_manage(inv)
        url = check_address(url)
        if self.feed_probe is None:
            raise CommandError(
                "Adding feeds from chat is turned off on this bot; ask its operator."
            )
        await self._check_quota(inv, 1)
        try:
            feed_url, title = await self.feed_probe.probe(url)
        except FeedError as err:
            raise CommandError(f"I couldn't add that feed: {err}") from err
        feed, added = await self.storage.add_scoped_feed(
            feed_url, title or feed_url, scope=inv.feed_scope, added_by=inv.destination.key
        )
        if not added:
            return card(
                f"{shorten(feed.name, 80)} ({feed.url}) is one of this chat's feeds already."
            )
        return card(
            f"Added {shorten(feed.name, 80)} ({feed.url}). "
            "New stories from it will reach this chat's subscriptions (and only this "
            f"{_community(inv)}'s)."
        )

    async def _check_quota(self, inv: Invocation, adding: int) -> int:
        """How many more feeds the scope may add; a CommandError when none."""
        have = len(self._scope_feeds(await self.storage.list_feeds(), inv))
        room = self.limits.feeds_per_scope - have
        if room < max(adding, 1):
            raise CommandError(
                f"This {_community(inv)} has {have} feeds, the most this bot allows "
                f"({self.limits.feeds_per_scope}). Remove one with /removefeed first."
            )
        return room

    async def remove_feed(self, inv: Invocation, url: str) -> Card:
        self._require_manage(inv)
        wanted = url.strip()
        if not wanted:
            raise CommandError("Which feed? /removefeed <address>, as /feeds shows it.")
        feeds = await self.storage.list_feeds()
        found = [f for f in feeds if wanted in (f.url, str(f.id)) or f.name == wanted]
        ours = [f for f in found if inv.feed_scope in f.scopes]
        if ours:
            await self.storage.unlink_feed(ours[0].id, inv.feed_scope)
            return card(f"Removed {shorten(ours[0].name, 80)} from this {_community(inv)}'s feeds.")
        if any(OPERATOR_SCOPE in f.scopes for f in found):
            raise CommandError(
                "That is one of the bot operator's feeds, which serve every chat; it can't be "
                "removed here. To leave the operator's feeds out, subscribe with --only-ours."
            )
        raise CommandError(f"This {_community(inv)} has no such feed. /feeds lists its feeds.")

    async def feeds(self, inv: Invocation) -> Card:
        self._require_manage(inv)
        feeds = await self.storage.list_feeds()
        ours = self._scope_feeds(feeds, inv)
        operator = [f for f in feeds if OPERATOR_SCOPE in f.scopes and f not in ours]
        limit = self.limits.feeds_per_scope
        lines: list[Line | str] = []
        if ours:
            lines.append(f"This {_community(inv)}'s feeds ({len(ours)} of {limit}):")
            lines.extend(_feed_line(feed) for feed in ours[:SHOWN])
            if len(ours) > SHOWN:
                lines.append(f"… and {len(ours) - SHOWN} more.")
        else:
            lines.append(
                f"This {_community(inv)} has added no feeds (up to {limit}); "
                "add one with /addfeed <url>."
            )
        if operator:
            names = ", ".join(shorten(f.name, 40) for f in operator[:10])
            more = f" and {len(operator) - 10} more" if len(operator) > 10 else ""
            lines.append(
                f"Plus the operator's {len(operator)} feed{'s' if len(operator) != 1 else ''} "
                f"(every chat gets them unless it subscribes with --only-ours): {names}{more}."
            )
        return card(*lines)

    async def import_feeds(self, inv: Invocation, data: bytes, filename: str = "") -> Card:
        """``/import`` with an OPML file: each feed as /addfeed would add it."""
        self._require_manage(inv)
        codec, probe = self._opml_tools()
        if not data:
            raise CommandError(IMPORT_HINT)
        entries = read_file(codec, data)
        room = await self._check_quota(inv, 1)

        async def add(url: str, name: str, entry: OpmlFeed) -> tuple[Feed, bool]:
            return await self.storage.add_scoped_feed(
                url,
                name,
                scope=inv.feed_scope,
                added_by=inv.destination.key,
                html_url=entry.html_url,
                category=entry.category,
            )

        report = await import_opml(entries, probe=probe, room=room, add=add)
        log.info(
            "feeds.imported scope=%s added=%d skipped=%d",
            inv.feed_scope, len(report.added), len(report.skipped),
        )  # fmt: skip
        return card(*report.lines(shorten(filename, 60) or "the file"))

    async def export_feeds(self, inv: Invocation) -> tuple[Card, bytes | None]:
        """``/export``: this scope's feeds as an OPML file (None when there are none)."""
        self._require_manage(inv)
        if self.opml is None:
            raise CommandError("OPML files are turned off on this bot; ask its operator.")
        ours = self._scope_feeds(await self.storage.list_feeds(), inv)
        if not ours:
            return card(f"This {_community(inv)} has no feeds of its own to export."), None
        data = self.opml.write(
            [opml_entry(f, inv.feed_scope) for f in ours], f"newsbot feeds of {inv.feed_scope}"
        )
        return card(f"This {_community(inv)}'s {len(ours)} feeds, as OPML."), data

    def _opml_tools(self) -> tuple[OpmlCodec, FeedProbe]:
        if self.opml is None or self.feed_probe is None:
            raise CommandError("Importing feeds from chat is turned off on this bot.")
        return self.opml, self.feed_probe


def opml_entry(feed: Feed, scope: str) -> OpmlFeed:
    return OpmlFeed(feed.url, feed.name, feed.html_url, feed.category_in(scope))


def read_file(codec: OpmlCodec, data: bytes) -> list[OpmlFeed]:
    """The feeds of an uploaded OPML file, or a CommandError saying what is wrong."""
    if len(data) > codec.max_bytes:
        raise CommandError(f"That file is too big (at most {codec.max_bytes // 1000} kB).")
    try:
        entries = codec.read(data)
    except FeedError as err:
        raise CommandError(f"I couldn't read that OPML file: {err}.") from err
    if not entries:
        raise CommandError("That OPML file lists no feeds (outlines with an xmlUrl).")
    return entries


def _community(inv: Invocation) -> str:
    if inv.feed_scope.startswith("discord:guild:"):
        return "server"
    return "chat"


def _feed_state(feed: Feed) -> str:
    if not feed.enabled:
        return "off"
    if feed.health == "dead":
        return "dead: tried daily; /addfeed it again to retry now"
    if feed.health == "unhealthy" or feed.consecutive_failures:
        return "failing"
    return "ok"


def _feed_line(feed: Feed) -> Line:
    state = _feed_state(feed)
    facts = [feed.url, f"{feed.items_seen} items"]
    if feed.failing_since:
        facts.append(f"failing since {feed.failing_since.strftime('%d %b %H:%M UTC')}")
    if feed.last_success_at:
        facts.append(f"last success {feed.last_success_at.strftime('%d %b %H:%M UTC')}")
    if feed.last_error:
        facts.append(f"last error: {shorten(feed.last_error, 80)}")
    return (
        Text("• "),
        Text(shorten(feed.name, 60), "bold"),
        Text(f" [{state}] " + ", ".join(facts)),
    )

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
from bot.core.words import N_, _, isolate, n_, numeral, spoken
from bot.text.sentences import shorten

ADD_HINT = N_("Give me the address of a site or feed, e.g. /addfeed https://example.com/rss.")
SHOWN = 40
MAX_IMPORT = 200  # feeds probed per import: each costs a fetch
IMPORT_HINT = N_("Send an OPML file (from another feed reader) with /import as its caption.")


Adder = Callable[[str, str, OpmlFeed], Awaitable[tuple[Feed, bool]]]


@dataclass
class ImportReport:
    """What an import did: feeds added, and feeds skipped with the reason."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def lines(self, source: str) -> list[Line | str]:
        shown: list[Line | str] = [
            _(
                "Imported %(source)s: %(added)s added, %(skipped)s skipped.",
                source=source,
                added=numeral(len(self.added)),
                skipped=numeral(len(self.skipped)),
            )
        ]
        shown.extend(f"+ {isolate(shorten(name, 80))}" for name in self.added[:20])
        if len(self.added) > 20:
            shown.append(_("… and %(count)s more added.", count=numeral(len(self.added) - 20)))
        shown.extend(f"- {isolate(shorten(url, 80))}: {why}" for url, why in self.skipped[:20])
        if len(self.skipped) > 20:
            shown.append(_("… and %(count)s more skipped.", count=numeral(len(self.skipped) - 20)))
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
            report.skipped.append(
                (entry.url, _("only the first %(count)s feeds are read", count=numeral(MAX_IMPORT)))
            )
            continue
        if len(report.added) >= room:
            report.skipped.append((entry.url, _("this chat's feed limit is reached")))
            continue
        try:
            url = check_address(entry.url)
            feed_url, title = await probe.probe(url)
        except CommandError:
            report.skipped.append((entry.url, _("not a web address")))
            continue
        except FeedError as err:
            report.skipped.append((entry.url, shorten(str(err), 100)))
            continue
        feed, added = await add(feed_url, entry.title or title or feed_url, entry)
        if added:
            report.added.append(feed.name)
        else:
            report.skipped.append((entry.url, _("already one of the feeds")))
    return report


def check_address(url: str) -> str:
    """A web address as typed, or a CommandError saying what is wrong with it."""
    url = url.strip()
    if not url:
        raise CommandError(_(ADD_HINT))
    if len(url) > 2000 or any(c.isspace() for c in url):
        raise CommandError(
            _("That doesn't look like a web address. Example: /addfeed https://example.com/rss.")
        )
    return url


class FeedCommands(CommandBase):
    async def add_feed(self, inv: Invocation, url: str) -> Card:
        self._require_manage(inv)
        url = check_address(url)
        if self.feed_probe is None:
            raise CommandError(
                _("Adding feeds from chat is turned off on this bot; ask its operator.")
            )
        await self._check_quota(inv, 1)
        try:
            feed_url, title = await self.feed_probe.probe(url)
        except FeedError as err:
            raise CommandError(_("I couldn't add that feed: %(error)s", error=err)) from err
        feed, added = await self.storage.add_scoped_feed(
            feed_url, title or feed_url, scope=inv.feed_scope, added_by=inv.destination.key
        )
        if not added:
            return card(
                _(
                    "%(name)s (%(url)s) is one of this chat's feeds already.",
                    name=shorten(feed.name, 80),
                    url=isolate(feed.url),
                )
            )
        return card(
            _(
                "Added %(name)s (%(url)s). New stories from it will reach this chat's "
                "subscriptions (and only this %(community)s's).",
                name=shorten(feed.name, 80),
                url=isolate(feed.url),
                community=_community(inv),
            )
        )

    async def _check_quota(self, inv: Invocation, adding: int) -> int:
        """How many more feeds the scope may add; a CommandError when none."""
        have = len(self._scope_feeds(await self.storage.list_feeds(), inv))
        room = self.limits.feeds_per_scope - have
        if room < max(adding, 1):
            raise CommandError(
                _(
                    "This %(community)s has %(count)s feeds, the most this bot allows "
                    "(%(most)s). Remove one with /removefeed first.",
                    community=_community(inv),
                    count=numeral(have),
                    most=numeral(self.limits.feeds_per_scope),
                )
            )
        return room

    async def remove_feed(self, inv: Invocation, url: str) -> Card:
        self._require_manage(inv)
        wanted = url.strip()
        if not wanted:
            raise CommandError(_("Which feed? /removefeed <address>, as /feeds shows it."))
        feeds = await self.storage.list_feeds()
        found = [f for f in feeds if wanted in (f.url, str(f.id)) or f.name == wanted]
        ours = [f for f in found if inv.feed_scope in f.scopes]
        if ours:
            await self.storage.unlink_feed(ours[0].id, inv.feed_scope)
            return card(
                _(
                    "Removed %(name)s from this %(community)s's feeds.",
                    name=shorten(ours[0].name, 80),
                    community=_community(inv),
                )
            )
        if any(OPERATOR_SCOPE in f.scopes for f in found):
            raise CommandError(
                _(
                    "That is one of the bot operator's feeds, which serve every chat; it can't "
                    "be removed here. To leave the operator's feeds out, subscribe with "
                    "--only-ours."
                )
            )
        raise CommandError(
            _(
                "This %(community)s has no such feed. /feeds lists its feeds.",
                community=_community(inv),
            )
        )

    async def feeds(self, inv: Invocation) -> Card:
        self._require_manage(inv)
        feeds = await self.storage.list_feeds()
        ours = self._scope_feeds(feeds, inv)
        operator = [f for f in feeds if OPERATOR_SCOPE in f.scopes and f not in ours]
        limit = self.limits.feeds_per_scope
        lines: list[Line | str] = []
        if ours:
            lines.append(
                _(
                    "This %(community)s's feeds (%(count)s of %(most)s):",
                    community=_community(inv),
                    count=numeral(len(ours)),
                    most=numeral(limit),
                )
            )
            lines.extend(_feed_line(feed) for feed in ours[:SHOWN])
            if len(ours) > SHOWN:
                lines.append(_("… and %(count)s more.", count=numeral(len(ours) - SHOWN)))
        else:
            lines.append(
                _(
                    "This %(community)s has added no feeds (up to %(most)s); "
                    "add one with /addfeed <url>.",
                    community=_community(inv),
                    most=numeral(limit),
                )
            )
        if operator:
            names = ", ".join(shorten(f.name, 40) for f in operator[:10])
            if len(operator) > 10:
                names = _(
                    "%(names)s and %(count)s more", names=names, count=numeral(len(operator) - 10)
                )
            lines.append(
                n_(
                    "Plus the operator's %(count)s feed (every chat gets them unless it "
                    "subscribes with --only-ours): %(names)s.",
                    "Plus the operator's %(count)s feeds (every chat gets them unless it "
                    "subscribes with --only-ours): %(names)s.",
                    len(operator),
                    names=names,
                )
            )
        return card(*lines)

    async def import_feeds(self, inv: Invocation, data: bytes, filename: str = "") -> Card:
        """``/import`` with an OPML file: each feed as /addfeed would add it."""
        self._require_manage(inv)
        codec, probe = self._opml_tools()
        if not data:
            raise CommandError(_(IMPORT_HINT))
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
        return card(*report.lines(shorten(filename, 60) or _("the file")))

    async def export_feeds(self, inv: Invocation) -> tuple[Card, bytes | None]:
        """``/export``: this scope's feeds as an OPML file (None when there are none)."""
        self._require_manage(inv)
        if self.opml is None:
            raise CommandError(_("OPML files are turned off on this bot; ask its operator."))
        ours = self._scope_feeds(await self.storage.list_feeds(), inv)
        if not ours:
            nothing = _(
                "This %(community)s has no feeds of its own to export.", community=_community(inv)
            )
            return card(nothing), None
        data = self.opml.write(
            [opml_entry(f, inv.feed_scope) for f in ours], f"newsbot feeds of {inv.feed_scope}"
        )
        shown = n_(
            "This %(community)s's %(count)s feed, as OPML.",
            "This %(community)s's %(count)s feeds, as OPML.",
            len(ours),
            community=_community(inv),
        )
        return card(shown), data

    def _opml_tools(self) -> tuple[OpmlCodec, FeedProbe]:
        if self.opml is None or self.feed_probe is None:
            raise CommandError(_("Importing feeds from chat is turned off on this bot."))
        return self.opml, self.feed_probe


def opml_entry(feed: Feed, scope: str) -> OpmlFeed:
    return OpmlFeed(feed.url, feed.name, feed.html_url, feed.category_in(scope))


def read_file(codec: OpmlCodec, data: bytes) -> list[OpmlFeed]:
    """The feeds of an uploaded OPML file, or a CommandError saying what is wrong."""
    if len(data) > codec.max_bytes:
        raise CommandError(
            _("That file is too big (at most %(size)s kB).", size=numeral(codec.max_bytes // 1000))
        )
    try:
        entries = codec.read(data)
    except FeedError as err:
        raise CommandError(_("I couldn't read that OPML file: %(error)s.", error=err)) from err
    if not entries:
        raise CommandError(_("That OPML file lists no feeds (outlines with an xmlUrl)."))
    return entries


def _community(inv: Invocation) -> str:
    if inv.feed_scope.startswith("discord:guild:"):
        return _("server")
    return _("chat")


def _feed_state(feed: Feed) -> str:
    if not feed.enabled:
        return _("off")
    if feed.health == "dead":
        return _("dead: tried daily; /addfeed it again to retry now")
    if feed.health == "unhealthy" or feed.consecutive_failures:
        return _("failing")
    return _("ok")


def _feed_line(feed: Feed) -> Line:
    state = _feed_state(feed)
    words = spoken()
    facts = [
        isolate(feed.url),
        n_("%(count)s item", "%(count)s items", feed.items_seen),
    ]
    if feed.failing_since:
        facts.append(_("failing since %(when)s", when=words.moment(feed.failing_since)))
    if feed.last_success_at:
        facts.append(_("last success %(when)s", when=words.moment(feed.last_success_at)))
    if feed.last_error:
        facts.append(_("last error: %(error)s", error=shorten(feed.last_error, 80)))
    return (
        Text("• "),
        Text(shorten(feed.name, 60), "bold"),
        Text(f" [{state}] " + ", ".join(facts)),
    )

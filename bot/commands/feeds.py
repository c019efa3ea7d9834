"""Commands about the feeds a community adds: /addfeed, /removefeed, /feeds.

Each acts on the chat's scope (a Discord server, a Telegram group or channel, a DM) and
needs the rights that change its subscriptions. The operator's feeds serve every scope;
a community's serve only its own.
"""

from __future__ import annotations

from bot.commands.base import CommandBase, Invocation, card
from bot.core.cards import Card, Line, Text
from bot.core.domain import OPERATOR_SCOPE, Feed
from bot.core.errors import CommandError, FeedError
from bot.delivery.render import shorten

ADD_HINT = "Give me the address of a site or feed, e.g. /addfeed https://example.com/rss."
SHOWN = 40


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


def _community(inv: Invocation) -> str:
    if inv.feed_scope.startswith("discord:guild:"):
        return "server"
    return "chat"


def _feed_line(feed: Feed) -> Line:
    state = (
        "ok" if feed.enabled and not feed.last_error else ("off" if not feed.enabled else "failing")
    )
    facts = [feed.url, f"{feed.items_seen} items"]
    if feed.last_success_at:
        facts.append(f"last success {feed.last_success_at.strftime('%d %b %H:%M UTC')}")
    if feed.last_error:
        facts.append(f"last error: {shorten(feed.last_error, 80)}")
    return (
        Text("• "),
        Text(shorten(feed.name, 60), "bold"),
        Text(f" [{state}] " + ", ".join(facts)),
    )

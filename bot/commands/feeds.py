"""Commands about the feeds the bot watches."""

from __future__ import annotations

from bot.commands.base import CommandBase, Invocation, card
from bot.core.cards import Card, Line, Text
from bot.core.domain import Feed
from bot.core.errors import CommandError, FeedError
from bot.delivery.render import shorten


class FeedCommands(CommandBase):
    async def add_feed(self, inv: Invocation, url: str) -> Card:
        self._require_manage(inv)
        url = url.strip()
        if not url:
            raise CommandError(
                "Give me the address of a site or feed, e.g. /addfeed https://example.com/rss."
            )
        if len(url) > 2000 or " " in url:
            raise CommandError(
                "That doesn't look like a web address. Example: /addfeed https://example.com/rss."
            )
        if self.feed_probe is None:
            raise CommandError(
                "Adding feeds from chat is turned off on this bot; ask its operator."
            )
        try:
            feed_url, title = await self.feed_probe.probe(url)
        except FeedError as err:
            raise CommandError(f"I couldn't add that feed: {err}") from err
        feed = await self.storage.upsert_feed(
            feed_url, title or feed_url, added_by=inv.destination.key
        )
        return card(
            f"Added {shorten(feed.name, 80)} ({feed.url}). "
            "New stories from it will reach subscribed chats."
        )

    async def remove_feed(self, inv: Invocation, url: str) -> Card:
        self._require_manage(inv)
        url = url.strip()
        for feed in await self.storage.list_feeds():
            if url and feed.url == url:
                if feed.added_by != inv.destination.key:
                    raise CommandError(
                        "Only the chat that added a feed can remove it; the operator's feeds stay."
                    )
                await self.storage.remove_feed(feed.id)
                return card(f"Removed {shorten(feed.name, 80)}.")
        raise CommandError("I don't watch that address. /feeds lists the feeds.")

    async def feeds(self, inv: Invocation) -> Card:
        feeds = await self.storage.list_feeds()
        if not feeds:
            return card("I watch no feeds yet. Admins can add one with /addfeed <url>.")
        lines: list[Line | str] = [f"I watch {len(feeds)} feed{'s' if len(feeds) != 1 else ''}:"]
        lines.extend(_feed_line(feed) for feed in feeds[:40])
        if len(feeds) > 40:
            lines.append(f"… and {len(feeds) - 40} more.")
        return card(*lines)


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
    facts = [f"{feed.items_seen} items"]
    if feed.failing_since:
        facts.append(f"failing since {feed.failing_since.strftime('%d %b %H:%M UTC')}")
    if feed.last_success_at:
        facts.append(f"last success {feed.last_success_at.strftime('%d %b %H:%M UTC')}")
    if feed.last_error:
        facts.append(f"last error: {shorten(feed.last_error, 80)}")
    if feed.enabled and feed.next_check_at:
        facts.append(f"next check {feed.next_check_at.strftime('%H:%M UTC')}")
    return (
        Text("• "),
        Text(shorten(feed.name, 60), "bold"),
        Text(f" [{state}] " + ", ".join(facts)),
    )

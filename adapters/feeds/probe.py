"""``/addfeed``: check the address a person gave and find its feed (autodiscovery)."""

from __future__ import annotations

from adapters.feeds.discover import PageFetcher, Parser, discover_feed


class DiscoveringFeedProbe:
    """Implements ``bot.commands.router.FeedProbe`` with the hardened fetcher: user-given
    addresses never reach private networks (no ``allow_private``)."""

    def __init__(self, fetcher: PageFetcher, parser: Parser) -> None:
        self._fetcher = fetcher
        self._parser = parser

    async def probe(self, url: str) -> tuple[str, str]:
        found = await discover_feed(self._fetcher, self._parser, url)
        return found.url, found.title or found.url

"""Feed I/O: guarded HTTP fetching, feedparser in a process pool, HTML autodiscovery."""

from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher, Page
from adapters.feeds.parse import FeedparserParser, parse_feed_bytes
from adapters.feeds.pool import PoolConfig

__all__ = [
    "FeedparserParser",
    "FetchConfig",
    "HttpFeedFetcher",
    "Page",
    "PoolConfig",
    "parse_feed_bytes",
]

"""The main text of an article page, for summaries that need more than a feed's two lines.

Pages are fetched by the feed fetcher, so the same address checks, deadline, redirect limit,
per-host limits and decompressed-size cap apply. Extraction (trafilatura on lxml) is
CPU-bound and hostile HTML can make it slow (about 80 µs per element), so it runs in the
parse process pool, where a deadline kills a stuck worker, and pages with more elements
than ``max_elements`` are refused before extraction starts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from adapters.feeds.fetch import HttpFeedFetcher, Page
from adapters.feeds.pool import ParsePool, PoolConfig
from bot.core.errors import FeedParseError, FetchError

log = logging.getLogger("newsbot.article_text")

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class ArticleTextConfig:
    """TOML [article_text]."""

    enabled: bool = True
    min_feed_words: int = 80
    max_chars: int = 20_000
    cache_size: int = 2048
    negative_ttl_s: float = 1800.0
    timeout_s: float = 15.0
    max_page_bytes: int = 2 * 1024 * 1024
    max_elements: int = 30_000
    min_chars: int = 100


def extract_main_text(
    body: bytes, url: str, max_elements: int, max_chars: int, min_chars: int = 1
) -> str | None:
    """The page's main text as plain paragraphs, or None. Runs in a pool worker."""
    # Imported here: only the workers need trafilatura, and its import takes about a second.
    import trafilatura  # noqa: PLC0415
    from trafilatura.utils import load_html  # noqa: PLC0415

    tree = load_html(body)
    if tree is None:
        return None
    for count, _ in enumerate(tree.iter(), start=1):
        if count > max_elements:
            return None
    text = trafilatura.extract(
        tree,
        url=url or None,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        output_format="txt",
    )
    text = _BLANK_LINES.sub("\n\n", text or "").strip()
    # A menu or a paywall stub is all some pages yield: not facts a summary can use.
    if len(text) < max(1, min_chars):
        return None
    return cut_text(text, max_chars)


def cut_text(text: str, max_chars: int) -> str:
    """``text`` shortened to ``max_chars`` at a word boundary when there is one nearby."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ", max(0, max_chars - 200))
    return (cut[:space] if space > 0 else cut).rstrip()


def is_html(page: Page) -> bool:
    content_type = page.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type:
        return content_type in _HTML_TYPES
    head = page.body.lstrip()[:1024].lower()
    return head.startswith(b"<") and (b"<html" in head or b"<!doctype html" in head)


_Key = tuple[str, bool]


class ArticleTextFetcher:
    """``article_text(url)``: the main text of an article page, cached per URL."""

    def __init__(
        self,
        config: ArticleTextConfig,
        fetcher: HttpFeedFetcher,
        *,
        extract_pool: ParsePool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._fetcher = fetcher
        self._owns_pool = extract_pool is None
        self._pool = extract_pool or ParsePool(PoolConfig(workers=1))
        self._monotonic = monotonic
        # (url, allow_private) -> (text or None, expiry for negative results or None)
        self._cache: OrderedDict[_Key, tuple[str | None, float | None]] = OrderedDict()
        self._inflight: dict[_Key, asyncio.Task[str | None]] = {}

    def needs_article_text(self, feed_text: str) -> bool:
        """Whether a story's feed text is short enough that the page is worth fetching."""
        return self._config.enabled and len(feed_text.split()) < self._config.min_feed_words

    async def article_text(self, url: str, *, allow_private: bool = False) -> str | None:
        """The page's main text, or None (refused address, not HTML, HTTP error, nothing
        extracted). Never raises for one page; one request per URL however many callers."""
        if not self._config.enabled:
            return None
        key = (url, allow_private)
        hit = self._cached(key)
        if hit is not None:
            return hit[0]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._load(key))
            self._inflight[key] = task
            task.add_done_callback(self._forget_inflight)
        # Shielded: a caller that gives up must not cancel the load other callers await.
        return await asyncio.shield(task)

    def _forget_inflight(self, task: asyncio.Task[str | None]) -> None:
        for key, running in list(self._inflight.items()):
            if running is task:
                del self._inflight[key]

    async def close(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_pool:
            await self._pool.close()

    def _cached(self, key: _Key) -> tuple[str | None] | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        text, expires = entry
        if expires is not None and self._monotonic() >= expires:
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return (text,)

    def _remember(self, key: _Key, text: str | None) -> None:
        if self._config.cache_size <= 0:
            return
        expires = None if text is not None else self._monotonic() + self._config.negative_ttl_s
        self._cache[key] = (text, expires)
        self._cache.move_to_end(key)
        while len(self._cache) > self._config.cache_size:
            self._cache.popitem(last=False)

    async def _load(self, key: _Key) -> str | None:
        url, allow_private = key
        started = time.perf_counter()
        text, outcome = await self._fetch_and_extract(url, allow_private)
        self._remember(key, text)
        ms = (time.perf_counter() - started) * 1000
        log.info(
            "article.text url=%s outcome=%s chars=%d ms=%.0f", url, outcome, len(text or ""), ms
        )
        return text

    async def _fetch_and_extract(self, url: str, allow_private: bool) -> tuple[str | None, str]:
        try:
            async with asyncio.timeout(self._config.timeout_s):
                page = await self._fetcher.fetch_page(
                    url, allow_private=allow_private, max_bytes=self._config.max_page_bytes
                )
        except TimeoutError:
            return None, f"no page within {self._config.timeout_s:g} s"
        except FetchError as err:
            return None, err.reason
        if not is_html(page):
            return None, "not an HTML page"
        try:
            text = await self._pool.run(
                extract_main_text,
                page.body,
                page.url,
                self._config.max_elements,
                self._config.max_chars,
                self._config.min_chars,
                urgent=True,  # a story's summary waits for it
            )
        except FeedParseError as err:
            return None, err.reason
        except Exception as err:  # a library bug on odd HTML costs one page, not the caller
            return None, f"extraction failed ({type(err).__name__}: {err})"
        if not isinstance(text, str):
            return None, "no main text found"
        return text, "ok"

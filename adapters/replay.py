"""A local feed server for the offline demo: replays a news corpus as RSS and Atom feeds.

Two modes:
- the bundled sample corpus (``bot/app/sample/corpus.json``): each outlet's feed gains its
  items over the replay (``offset_s``), so the bot sees stories grow;
- a folder of feed files (``--feeds DIR``): each file is one outlet's feed, served as is.

It listens on 127.0.0.1 on a random port and answers conditional GETs with 304, like a
polite publisher would.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from adapters.feeds.fetch import FetchConfig
from bot.text.mastheads import file_feed_name

SAMPLE_NOTICE_PREFIX = "SAMPLE DATA"


@dataclass(frozen=True, slots=True)
class ReplayItem:
    outlet: str
    offset_s: float
    published: datetime
    title: str
    summary: str
    link: str
    guid: str
    author: str


@dataclass(frozen=True, slots=True)
class ReplayOutlet:
    slug: str
    name: str
    format: str  # "rss" or "atom"
    site: str
    description: str


def load_sample(
    start: datetime, corpus: Path | None = None
) -> tuple[list[ReplayOutlet], list[ReplayItem]]:
    """The bundled corpus, with publication times relative to ``start``."""
    if corpus is None:
        text = resources.files("bot.app").joinpath("sample/corpus.json").read_text(encoding="utf-8")
    else:
        text = corpus.read_text(encoding="utf-8")
    data = json.loads(text)
    outlets = [
        ReplayOutlet(o["slug"], o["name"], o["format"], o["site"], o.get("description", ""))
        for o in data["outlets"]
    ]
    sites = {o.slug: o.site for o in outlets}
    items = [
        ReplayItem(
            outlet=i["outlet"],
            offset_s=float(i["offset_s"]),
            published=start - timedelta(minutes=int(i["published_min_ago"])),
            title=i["title"],
            summary=i["summary"],
            link=sites[i["outlet"]] + i["path"],
            guid=sites[i["outlet"]] + i["path"],
            author=i.get("author", ""),
        )
        for i in data["items"]
    ]
    return outlets, items


def render_rss(outlet: ReplayOutlet, items: list[ReplayItem], notice: str) -> bytes:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f'<guid isPermaLink="true">{escape(i.guid)}</guid>'
        f"<pubDate>{format_datetime(i.published)}</pubDate>"
        f"<author>{escape(i.author)}</author>"
        f"<description>{escape(i.summary)}</description></item>"
        for i in sorted(items, key=lambda x: x.published, reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<rss version="2.0"><channel><title>{escape(outlet.name)}</title>'
        f"<link>{escape(outlet.site)}</link>"
        f"<description>{escape(outlet.description + ' ' + notice)}</description>"
        f"{entries}</channel></rss>"
    ).encode()


def render_atom(outlet: ReplayOutlet, items: list[ReplayItem], notice: str) -> bytes:
    updated = max((i.published for i in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    entries = "".join(
        f"<entry><title>{escape(i.title)}</title><link href={quoteattr(i.link)}/>"
        f"<id>{escape(i.guid)}</id><updated>{i.published.isoformat()}</updated>"
        f"<published>{i.published.isoformat()}</published>"
        f"<author><name>{escape(i.author or outlet.name)}</name></author>"
        f'<summary type="text">{escape(i.summary)}</summary></entry>'
        for i in sorted(items, key=lambda x: x.published, reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(outlet.name)}</title><subtitle>{escape(notice)}</subtitle>"
        f"<link href={quoteattr(outlet.site)}/><id>{escape(outlet.site)}/</id>"
        f"<updated>{updated.isoformat()}</updated>{entries}</feed>"
    ).encode()


class ReplayServer:
    """Serves feeds on 127.0.0.1. ``feed_urls()`` lists (url, outlet name) once started."""

    def __init__(
        self,
        *,
        feeds_dir: Path | None = None,
        duration_s: float = 30.0,
        start: datetime | None = None,
        corpus: Path | None = None,
    ) -> None:
        self.feeds_dir = feeds_dir
        self.duration_s = duration_s
        self.start_time = start or datetime.now(UTC)
        self._started_at = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.requests = 0
        self.not_modified = 0
        self.notice = ""
        self.outlets: list[ReplayOutlet] = []
        self.items: list[ReplayItem] = []
        self.files: dict[str, Path] = {}
        self._file_facts: tuple[datetime | None, dict[str, str | None]] | None = None
        if feeds_dir is None:
            self.outlets, self.items = load_sample(self.start_time, corpus)
            self.notice = "SAMPLE DATA for the newsbot demo: invented outlets and articles."
        else:
            for file in sorted(feeds_dir.iterdir()):
                if file.is_file() and not file.name.startswith("."):
                    self.files[file.stem] = file
        # The corpus spans 30 s; a shorter or longer replay stretches its timeline.
        span = max((i.offset_s for i in self.items), default=0.0) or 1.0
        self._scale = duration_s / span if duration_s > 0 else 0.0

    def newest_item(self) -> datetime | None:
        """The newest dated item of the folder's feed files (None for the sample corpus,
        or when no item has a date): the moment a replay of them starts at."""
        return self._read_files()[0]

    def _read_files(self) -> tuple[datetime | None, dict[str, str | None]]:
        """The newest item's date and each file's feed title, read once."""
        if self._file_facts is None:
            self._file_facts = _date_and_titles(self.files)
        return self._file_facts

    def elapsed(self) -> float:
        return time.monotonic() - self._started_at

    def finished(self) -> bool:
        return self.feeds_dir is not None or self.elapsed() >= self.duration_s

    def visible(self, slug: str) -> list[ReplayItem]:
        now = self.elapsed()
        return [i for i in self.items if i.outlet == slug and i.offset_s * self._scale <= now]

    def feed_urls(self) -> list[tuple[str, str]]:
        base = f"http://127.0.0.1:{self.port}"
        if self.feeds_dir is not None:
            # Nobody named these feeds: shown under the titles they give themselves, as a
            # configured feed without a name is (or, untitled, after their files).
            titles = self._read_files()[1]
            return [
                (url, file_feed_name(url, titles[name], name))
                for name in self.files
                for url in [f"{base}/files/{name}"]
            ]
        return [(f"{base}/feeds/{o.slug}", o.name) for o in self.outlets]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feeds/{slug}", self._sample_feed)
        app.router.add_get("/files/{name}", self._file_feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server  # aiohttp keeps the bound socket here; port 0 picks one
        self.port = server.sockets[0].getsockname()[1]
        self._started_at = time.monotonic()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _conditional(self, request: web.Request, body: bytes, content_type: str) -> web.Response:
        self.requests += 1
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": content_type})

    async def _sample_feed(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        outlet = next((o for o in self.outlets if o.slug == slug), None)
        if outlet is None:
            raise web.HTTPNotFound()
        items = self.visible(slug)
        if outlet.format == "atom":
            return self._conditional(
                request, render_atom(outlet, items, self.notice), "application/atom+xml"
            )
        return self._conditional(
            request, render_rss(outlet, items, self.notice), "application/rss+xml"
        )

    async def _file_feed(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["name"])
        if file is None:
            raise web.HTTPNotFound()
        return self._conditional(request, file.read_bytes(), "application/xml")


def _date_and_titles(files: dict[str, Path]) -> tuple[datetime | None, dict[str, str | None]]:
    """The newest dated item of ``files`` and each one's feed title. A file past the
    fetcher's limit is refused when polled: it dates and names nothing either."""
    if not files:
        return None, {}  # the sample corpus
    import feedparser  # noqa: PLC0415 - only for a folder of feed files

    newest: datetime | None = None
    titles: dict[str, str | None] = {}
    limit = FetchConfig().max_bytes
    for name, file in files.items():
        titles[name] = None
        if file.stat().st_size > limit:
            continue
        parsed = feedparser.parse(file.read_bytes())
        titles[name] = parsed.feed.get("title")
        for entry in parsed.entries:
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            if stamp is None:
                continue
            year, month, day, hour, minute, second = stamp[:6]
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            newest = moment if newest is None else max(newest, moment)
    return newest, titles

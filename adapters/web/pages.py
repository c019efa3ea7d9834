"""``GET /s/<story>``: a story's page, rendered with Jinja2 (autoescape on) and served by the
bot's aiohttp server (``adapters.http_server``), so one process still runs everything.

Feed text is hostile until shown otherwise: every value is escaped by the template
engine, links are kept only when they are http(s), and bidirectional-override characters
are shown as their code points instead of reordering the text around them. The page needs
no script and forbids every one (Content-Security-Policy ``default-src 'none'``); its only
other resource is its style sheet. Pages are cached briefly and revalidated by ETag.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.core.errors import NewsbotError
from bot.delivery.page import HISTORY_LIMIT, PageStore, page_languages, page_summary, story_page

log = logging.getLogger("newsbot.web")

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
PAGE_CACHE = "public, max-age=60, stale-while-revalidate=300"
MISSING_CACHE = "public, max-age=30"
STATIC_CACHE = "public, max-age=86400"
_STORY_ID = re.compile(r"[a-z0-9]{2,12}")
# Embeddings and overrides (LRE RLE PDF LRO RLO, LRI RLI FSI PDI) and the marks: shown, not obeyed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def safe_href(url: object) -> str:
    """The URL when it is a plain http(s) link, else "" (the text is shown unlinked)."""
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def visible(text: object) -> str:
    """Text with bidirectional controls replaced by their names, e.g. ``<U+202E>``."""
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(text))


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("adapters.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_href"] = safe_href
    env.filters["visible"] = visible
    return env


def _headers(cache: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        # The story is shown in the reader's language when it was translated for it.
        "Vary": "Accept-Language",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache,
    }


class StoryPages:
    """The routes of the story pages; ``HealthServer`` adds them to its application."""

    def __init__(self, store: PageStore) -> None:
        self.store = store
        self.env = environment()
        self.css = (resources.files("adapters.web") / "static" / "story.css").read_bytes()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/s/{story}", self.story)
        app.router.add_get("/static/story.css", self.stylesheet)

    async def stylesheet(self, _request: web.Request) -> web.Response:
        headers = _headers(STATIC_CACHE)
        return web.Response(body=self.css, content_type="text/css", headers=headers)

    async def story(self, request: web.Request) -> web.StreamResponse:
        wanted = request.match_info["story"].strip().lower()
        if not _STORY_ID.fullmatch(wanted):
            return self._missing(request.match_info["story"])
        try:
            story = await self.store.get_story(wanted)
            summary = await self.store.get_summary(story.id) if story else None
            if story is None or summary is None:
                return self._missing(wanted)
            if story.id != wanted:  # merged into another story since: its page now
                raise web.HTTPMovedPermanently(f"/s/{story.id}", headers=_headers(PAGE_CACHE))
            # In the reader's language when the pipeline stored a translation for it.
            languages = page_languages(
                request.query.get("lang"), request.headers.get("Accept-Language", "")
            )
            summary = await page_summary(self.store, summary, languages)
            etag = (
                f'"{story.id}-{summary.story_version}-{summary.language}-'
                f'{int(story.updated_at.timestamp())}"'
            )
            if etag in request.headers.get("If-None-Match", ""):
                return web.Response(status=304, headers={**_headers(PAGE_CACHE), "ETag": etag})
            versions = await self.store.story_versions(story.id, HISTORY_LIMIT)
        except NewsbotError as err:
            log.warning("web.page_failed story=%s error=%r", wanted, err)
            return web.Response(
                status=503, text="Try again in a minute.\n", headers=_headers("no-store")
            )
        html = self.env.get_template("story.html").render(page=story_page(story, summary, versions))
        headers = {
            **_headers(PAGE_CACHE),
            "ETag": etag,
            "Last-Modified": story.updated_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }
        return web.Response(text=html, content_type="text/html", headers=headers)

    def _missing(self, story_id: str) -> web.Response:
        html = self.env.get_template("not_found.html").render(story_id=story_id[:40])
        return web.Response(
            status=404, text=html, content_type="text/html", headers=_headers(MISSING_CACHE)
        )

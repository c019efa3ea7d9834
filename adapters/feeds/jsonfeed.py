"""JSON Feed (jsonfeed.org, versions 1 and 1.1), which feedparser does not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from adapters.feeds.text import html_to_text
from bot.core.domain import ParsedEntry, ParsedFeed
from bot.core.errors import FeedParseError
from bot.text.language import detect_language

_MAX_TEXT = 20_000


def looks_like_json(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC) if 1990 <= when.year <= 2200 else None


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    for author in candidates:
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return str(author["name"]).strip()[:200] or None
    return None


def _entry(item: Any, base: str) -> ParsedEntry | None:
    if not isinstance(item, dict):
        return None
    title = html_to_text(str(item.get("title") or ""))[:500]
    html = item.get("content_html")
    text = html_to_text(html, drop_links=True) if isinstance(html, str) else ""
    plain = item.get("content_text") or item.get("summary")
    if not text and isinstance(plain, str):
        text = html_to_text(plain)
    link = item.get("url") or item.get("external_url")
    url = urljoin(base, link) if isinstance(link, str) and link.strip() else None
    if url is not None and not url.lower().startswith(("http://", "https://")):
        url = None
    guid = item.get("id")
    if not title and not text:
        return None
    return ParsedEntry(
        title=title or text[:120],
        url=url,
        guid=str(guid)[:1000] if isinstance(guid, str | int) else None,
        text=text[:_MAX_TEXT],
        published=_when(item.get("date_published")) or _when(item.get("date_modified")),
        author=_author(item),
        language=detect_language(title, text),
    )


def parse_json_feed(body: bytes, url: str, max_entries: int) -> ParsedFeed:
    """A JSON Feed as ``ParsedFeed``; FeedParseError for other JSON."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise FeedParseError(f"invalid JSON ({type(err).__name__})") from err
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version.replace("\\", ""):
        raise FeedParseError("JSON that is not a JSON Feed")
    base = document.get("feed_url") or document.get("home_page_url") or url
    base = base if isinstance(base, str) else url
    items = document.get("items")
    entries: list[ParsedEntry] = []
    for item in items if isinstance(items, list) else []:
        if len(entries) >= max_entries:
            break
        entry = _entry(item, base)
        if entry is not None:
            entries.append(entry)
    title = document.get("title")
    return ParsedFeed(
        title=html_to_text(title)[:500] or None if isinstance(title, str) else None,
        entries=tuple(entries),
        site_url=home if isinstance(home := document.get("home_page_url"), str) else None,
    )

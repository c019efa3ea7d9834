"""OPML 2.0 feed lists: read what people upload, write what they export.

An uploaded file is untrusted XML, so it is parsed defensively: at most ``MAX_OPML_BYTES``,
no DOCTYPE at all (OPML needs none, and entity tricks such as "billion laughs" or
external entities live there), lxml told not to resolve entities, load DTDs or touch
the network, at most ``MAX_OUTLINES`` outlines nested at most ``MAX_DEPTH`` deep.
Nested outlines are folders: a feed's ``category`` is the path of folder titles above it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from bot.commands.ports import OpmlFeed
from bot.core.errors import FeedParseError

MAX_OPML_BYTES = 1_000_000
MAX_OUTLINES = 2_000
MAX_DEPTH = 16
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class OpmlCodec:
    """Implements ``bot.commands.ports.OpmlCodec``."""

    max_bytes = MAX_OPML_BYTES

    def read(self, data: bytes) -> list[OpmlFeed]:
        return read_opml(data)

    def write(self, feeds: list[OpmlFeed], title: str) -> bytes:
        return write_opml(feeds, title)


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML file, in document order. Raises ``FeedParseError`` saying why
    in words when the file is too big, not OPML, or uses XML features OPML doesn't need."""
    if len(data) > MAX_OPML_BYTES:
        raise FeedParseError(f"the file is larger than {MAX_OPML_BYTES // 1000} kB")
    if _DOCTYPE.search(data):
        raise FeedParseError("the file declares a DOCTYPE or entities, which OPML never needs")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as err:
        raise FeedParseError(f"it is not well-formed XML ({err.msg})") from err
    if not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
        raise FeedParseError("it is not an OPML file (no <opml> element)")
    body = next((c for c in root if _name(c) == "body"), None)
    if body is None:
        raise FeedParseError("the OPML file has no <body>")
    found: list[OpmlFeed] = []
    count = 0

    def walk(parent: Any, path: tuple[str, ...], depth: int) -> None:
        nonlocal count
        if depth > MAX_DEPTH:
            raise FeedParseError(f"outlines are nested more than {MAX_DEPTH} deep")
        for node in parent:
            if _name(node) != "outline":
                continue
            count += 1
            if count > MAX_OUTLINES:
                raise FeedParseError(f"the file has more than {MAX_OUTLINES} outlines")
            title = (node.get("title") or node.get("text") or "").strip()
            url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
            if url:
                found.append(
                    OpmlFeed(
                        url=url,
                        title=title[:200],
                        html_url=(node.get("htmlUrl") or node.get("htmlurl") or "").strip() or None,
                        category="/".join(path),
                    )
                )
            walk(node, (*path, title) if not url and title else path, depth + 1)

    walk(body, (), 1)
    return found


def _name(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def write_opml(feeds: list[OpmlFeed], title: str) -> bytes:
    """An OPML 2.0 document: feeds grouped in folder outlines by ``category``."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], Any] = {(): body}
    for feed in feeds:
        path = tuple(p for p in feed.category.split("/") if p) if feed.category else ()
        for depth in range(1, len(path) + 1):
            if path[:depth] not in folders:
                folders[path[:depth]] = etree.SubElement(
                    folders[path[: depth - 1]],
                    "outline",
                    text=path[depth - 1],
                    title=path[depth - 1],
                )
        attrs = {"type": "rss", "text": feed.title or feed.url, "title": feed.title or feed.url}
        attrs["xmlUrl"] = feed.url
        if feed.html_url:
            attrs["htmlUrl"] = feed.html_url
        etree.SubElement(folders[path], "outline", attrs)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data

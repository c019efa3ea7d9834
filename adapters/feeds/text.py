"""Feed HTML to plain text: tags dropped, entities unescaped, whitespace collapsed.

Summaries and chat adapters escape text in their own syntax, so what leaves here must be
plain characters only; script and style bodies are dropped, block elements become breaks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
        "table", "blockquote", "section", "article", "header", "footer", "figure",
        "figcaption", "pre", "hr", "dd", "dt",
    }
)  # fmt: skip
# What a browser would not show as text (feedparser's sanitiser, not used, drops the
# bodies of script, style and applet too).
_SKIPPED = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "svg", "applet", "math"}
)
# A link-only block: a link of a headline's length, with at most a label ("Related: ")
# of unlinked characters beside it.
_LINK_HEADLINE = 15
_LINK_LABEL = 12
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BREAKS = re.compile(r"\s*\n\s*")


class _Collector(HTMLParser):
    """Text by block. A block whose words are all a link's ("<li><a>Opinion: ...</a>",
    "Related: <a>...</a>", "<a>Continue reading...</a>") points elsewhere: it is a
    headline of another page, not a sentence of this one, and is dropped."""

    def __init__(self, *, drop_links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_links = drop_links
        self.parts: list[str] = []
        self._skipping = 0
        self._links = 0  # open <a> elements
        self._block: list[str] = []
        self._linked = 0  # characters of the current block inside a link

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._end_block()
        elif tag == "a":
            self._links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._end_block()
        elif tag == "a":
            self._links = max(0, self._links - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._block.append(data)
            if self._links:
                self._linked += len(data.strip())

    def close(self) -> None:
        super().close()
        self._end_block()

    def _end_block(self) -> None:
        text = "".join(self._block)
        size = len(text.strip())
        unlinked = size - self._linked
        if not (self.drop_links and self._linked >= _LINK_HEADLINE and unlinked <= _LINK_LABEL):
            self.parts.append(text)
        self.parts.append("\n")
        self._block = []
        self._linked = 0


def html_to_text(html: str, *, drop_links: bool = False) -> str:
    """Plain text of an HTML fragment (also fine for text that has no markup).

    With ``drop_links`` (an article's body, not its title), blocks that only link
    elsewhere are left out.
    """
    if "<" not in html and "&" not in html:
        return _tidy(html)
    collector = _Collector(drop_links=drop_links)
    collector.feed(html)
    collector.close()
    return _tidy("".join(collector.parts))


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text.replace("\x00", ""))
    return _BREAKS.sub("\n", text).strip()

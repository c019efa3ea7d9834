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
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BREAKS = re.compile(r"\s*\n\s*")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (also fine for text that has no markup)."""
    if "<" not in html and "&" not in html:
        return _tidy(html)
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return _tidy("".join(collector.parts))


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text.replace("\x00", ""))
    return _BREAKS.sub("\n", text).strip()

"""Discord markdown for card text: escaping feed text once, and cutting at sentence ends.

A line of a card is split into *tokens* (pieces of plain text ending at a sentence
boundary, and whole links), so a line that does not fit is cut between sentences and
never inside a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bot.core.cards import Line, Link, Text

ELLIPSIS = "…"
# Every character Discord's markdown gives a meaning to, plus "<" (mentions, timestamps)
# and brackets/parentheses (masked links). A backslash before punctuation is always
# consumed by Discord, so over-escaping is invisible.
_SPECIAL = re.compile(r"([\\*_~|`>#\-\[\]()<])")
_ORDERED_LIST = re.compile(r"^(\s*\d+)\.", re.MULTILINE)
_CLOSERS = "\"'\u201d\u2019)\\]"  # closing quotes and brackets after a full stop
_SENTENCE_PIECE = re.compile(rf".*?(?:[.!?…][{_CLOSERS}]*(?:\s+|$)|$)", re.DOTALL)
_SENTENCE_END = re.compile(rf"[.!?…][{_CLOSERS}]*\s*$")
_CITATION = re.compile(r"^\[\d{1,3}\]$")
_STYLE_MARKS = {"plain": "", "bold": "**", "italic": "*", "code": "`"}


def escape(text: str) -> str:
    """``text`` with every markdown meaning removed (feed text is never markup)."""
    escaped = _SPECIAL.sub(r"\\\1", text.replace("\r", ""))
    return _ORDERED_LIST.sub(r"\1\\.", escaped)


def safe_url(url: str) -> str | None:
    """``url`` usable inside ``[text](url)``, or None when it is not an http(s) link."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Parentheses, spaces and angle brackets would end the masked link early.
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%~._-")


@dataclass(frozen=True, slots=True)
class Token:
    markdown: str
    plain: str  # the same text without markup, for shortening inside one sentence
    ends_sentence: bool
    is_link: bool


def _styled(text: str, style: str) -> str:
    core = text.strip()
    mark = _STYLE_MARKS.get(style, "")
    if not mark or not core:
        return escape(text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    # Inside code spans backslashes are literal; only a backtick would end the span.
    inner = core.replace("`", "'") if style == "code" else escape(core)
    return f"{lead}{mark}{inner}{mark}{trail}"


def _link(part: Link) -> str:
    url = safe_url(part.url)
    label = part.text.replace("\n", " ")
    if url is None:
        return escape(label)
    if _CITATION.match(label):
        # Balanced brackets are allowed inside a masked link's text: "[[1]](url)".
        return f"[{label}]({url})"
    label = escape(label.replace("[", "(").replace("]", ")")) or url
    return f"[{label}]({url})"


def tokens_of(value: Line) -> list[Token]:
    out: list[Token] = []
    for part in value:
        if not isinstance(part, Text):
            out.append(Token(_link(part), part.text, ends_sentence=False, is_link=True))
            continue
        for piece in _SENTENCE_PIECE.findall(part.text):
            if piece:
                ends = bool(_SENTENCE_END.search(piece))
                out.append(Token(_styled(piece, part.style), piece, ends, is_link=False))
    return out


def render_line(value: Line) -> str:
    return "".join(token.markdown for token in tokens_of(value))


def _cut_points(tokens: Sequence[Token]) -> list[int]:
    """Indexes ``i`` such that ``tokens[:i]`` ends a sentence with its citations."""
    points: list[int] = []
    in_sentence_end = False
    for i, token in enumerate(tokens):
        if not token.is_link:
            in_sentence_end = token.ends_sentence
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if in_sentence_end and (nxt is None or not nxt.is_link):
            points.append(i + 1)
    return points


def shorten_plain(text: str, limit: int) -> str:
    """Plain ``text`` cut at a sentence end (else a word boundary) to ``limit`` characters."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = text[: limit - 1]
    ends = [m.end() for m in re.finditer(r"[.!?…](?=\s)", head)]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]] + " " + ELLIPSIS if ends[-1] + 2 <= limit else head[: ends[-1]]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(",;:-\u2013\u2014") + ELLIPSIS


def fit_tokens(tokens: Sequence[Token], limit: int, *, word_cut: bool = True) -> str:
    """The tokens' markdown in at most ``limit`` characters, cut between sentences.

    When not even the first sentence fits, it is cut at a word if ``word_cut``, else
    nothing is returned (the caller had whole lines already and stops there).
    """
    full = "".join(t.markdown for t in tokens)
    if len(full) <= limit:
        return full
    budget = limit - 2  # room for " …"
    best = 0
    used = 0
    for point in _cut_points(tokens):
        used = sum(len(t.markdown) for t in tokens[:point])
        if used > budget:
            break
        best = point
    if best:
        return "".join(t.markdown for t in tokens[:best]).rstrip() + " " + ELLIPSIS
    if not word_cut:
        return ""
    # The first sentence alone is too long: cut its plain text at a word boundary.
    first_plain = "".join(t.plain for t in tokens if not t.is_link)
    return escape_to_fit(first_plain, limit)


def escape_to_fit(text: str, limit: int) -> str:
    """Escaped ``text`` shortened so that the escaped form fits ``limit``."""
    size = limit
    while size > 0:
        escaped = escape(shorten_plain(text, size))
        if len(escaped) <= limit:
            return escaped
        size -= max(1, len(escaped) - limit)
    return ""


def fit_lines(lines: Iterable[Line], limit: int, *, separator: str = "\n") -> str:
    """Whole lines while they fit; the first line that does not is cut between sentences."""
    out: list[str] = []
    used = 0
    for value in lines:
        rendered = render_line(value)
        extra = len(separator) if out else 0
        if used + extra + len(rendered) <= limit:
            out.append(rendered)
            used += extra + len(rendered)
            continue
        room = limit - used - extra
        cut = fit_tokens(tokens_of(value), room, word_cut=not out) if room >= 40 or not out else ""
        if cut:
            out.append(cut)
        elif out and used + 2 <= limit:
            out[-1] += " " + ELLIPSIS
        break
    return separator.join(out)

"""Cards as Telegram HTML messages with an inline keyboard.

Feed text arrives raw and sometimes already entity-encoded by a careless feed, so each
run is unescaped once and then escaped once for Telegram's HTML parse mode. Only tags
Telegram allows are produced. A message never exceeds 4,096 UTF-16 units of visible
text: long cards are split between lines, then between sentences, then between words,
and every piece is a closed tag sequence of its own, so no split falls inside a tag.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

from bot.core.cards import Button, Card, Inline, Line, Link

log = logging.getLogger("newsbot.telegram")

MAX_UNITS = 4096
CALLBACK_MAX_BYTES = 64
LABEL_MAX_CHARS = 36
PAIR_LABEL_MAX_CHARS = 20
MAX_BUTTONS = 24
TITLE_MAX_CHARS = 300
LINK_TEXT_MAX_CHARS = 200
SAFE_SCHEMES = ("https://", "http://", "tg://")

_TAGS = {"bold": "b", "italic": "i", "code": "code"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_SENTENCE_END = re.compile(r"[.!?…][»”\"')\]]*\s+")
_WORD_END = re.compile(r"(?<=\s)")
_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class KeyButton:
    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """HTML texts to send in order (the keyboard goes under the last one)."""

    chunks: tuple[str, ...]
    keyboard: tuple[tuple[KeyButton, ...], ...]


@dataclass(frozen=True, slots=True)
class _Seg:
    """A self-contained piece of HTML and the visible UTF-16 units it adds."""

    html: str
    units: int


_NEWLINE = _Seg("\n", 1)


def units(text: str) -> int:
    """Length in UTF-16 code units, the measure of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


def clean(text: str) -> str:
    """Feed text as people should read it: entities decoded once, control bytes gone."""
    return _CONTROL.sub(" ", html.unescape(text))


def is_safe_url(url: str) -> bool:
    return url.lower().startswith(SAFE_SCHEMES) and not any(c.isspace() or ord(c) < 32 for c in url)


def render(card: Card, *, limit: int = MAX_UNITS) -> Rendered:
    """The card as one or more messages, each within ``limit`` visible units."""
    chunks = _pack(_lines(card), limit)
    return Rendered(tuple(chunks) or (html.escape(_ELLIPSIS),), keyboard(card.buttons))


def render_single(card: Card, *, limit: int = MAX_UNITS) -> Rendered:
    """The card as exactly one message (an edit cannot add messages): cut with an ellipsis."""
    chunks = _pack(_lines(card), limit - 2)
    if not chunks:
        return Rendered((_ELLIPSIS,), keyboard(card.buttons))
    text = chunks[0] + ("\n" + _ELLIPSIS if len(chunks) > 1 else "")
    return Rendered((text,), keyboard(card.buttons))


def split_plain(text: str, *, limit: int = MAX_UNITS) -> tuple[str, ...]:
    """Plain text split like HTML, for the fallback when Telegram refuses our markup."""
    lines = [[_Seg(piece, units(piece)) for piece in _pieces(row)] for row in text.split("\n")]
    return tuple(html.unescape(chunk) for chunk in _pack(lines, limit))


# ---------------------------------------------------------------- keyboard


def keyboard(buttons: tuple[Button, ...]) -> tuple[tuple[KeyButton, ...], ...]:
    """Expand buttons two to a row when short; the other buttons share the last row."""
    expand: list[KeyButton] = []
    others: list[KeyButton] = []
    for button in buttons[:MAX_BUTTONS]:
        data = button.action.encode()
        if len(data.encode()) > CALLBACK_MAX_BYTES:
            log.warning(
                "event=telegram.button_dropped reason=callback_too_long data_len=%d",
                len(data.encode()),
            )
            continue
        key = KeyButton(label(button.label, fallback=button.action.kind.capitalize()), data)
        (expand if button.action.kind == "expand" else others).append(key)
    rows: list[tuple[KeyButton, ...]] = []
    pending: KeyButton | None = None
    for key in expand:
        if len(key.label) > PAIR_LABEL_MAX_CHARS:
            rows.append((key,))
        elif pending is None:
            pending = key
        else:
            rows.append((pending, key))
            pending = None
    if pending is not None:
        rows.append((pending,))
    if others:
        rows.append(tuple(others))
    return tuple(rows)


def label(text: str, *, fallback: str, max_chars: int = LABEL_MAX_CHARS) -> str:
    """A button label on one line, cut at a word boundary with an ellipsis when too long."""
    flat = " ".join(clean(text).split())
    if not flat:
        return fallback
    if len(flat) <= max_chars:
        return flat
    cut = flat[: max_chars - 1]
    space = cut.rfind(" ")
    if space >= max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ·:,;-") + _ELLIPSIS


# ---------------------------------------------------------------- text


def _lines(card: Card) -> list[list[_Seg]]:
    out: list[list[_Seg]] = []
    if card.title:
        out.append([_title(card.title, card.title_url)])
    out.extend(_line(row) for row in card.body)
    if card.fields:
        out.append([])
        if all(not f.value for f in card.fields):
            names = " · ".join(f"▸ {' '.join(clean(f.name).split())}" for f in card.fields)
            out.append(_text_segs(names, "plain"))
        else:
            for f in card.fields:
                out.append(_text_segs(" ".join(clean(f.name).split()), "bold"))
                if f.value:
                    out.append(_line(f.value))
    if card.footer:
        out.append([])
        out.extend(_text_segs(row, "italic") for row in card.footer)
    while out and not out[-1]:
        out.pop()
    return out


def _title(title: str, url: str | None) -> _Seg:
    text = " ".join(clean(title).split())
    if len(text) > TITLE_MAX_CHARS:
        text = text[: TITLE_MAX_CHARS - 1].rstrip() + _ELLIPSIS
    body = html.escape(text, quote=False)
    if url and is_safe_url(url):
        body = f'<a href="{html.escape(url, quote=True)}">{body}</a>'
    return _Seg(f"<b>{body}</b>", units(text))


def _line(row: Line) -> list[_Seg]:
    segs: list[_Seg] = []
    for part in row:
        segs.extend(_inline(part))
    return segs


def _inline(part: Inline) -> list[_Seg]:
    if isinstance(part, Link):
        text = " ".join(clean(part.text).split())[:LINK_TEXT_MAX_CHARS] or part.url[:40]
        if not is_safe_url(part.url):
            return _text_segs(text, "plain")
        href = html.escape(part.url, quote=True)
        return [_Seg(f'<a href="{href}">{html.escape(text, quote=False)}</a>', units(text))]
    return _text_segs(part.text, part.style)


def _text_segs(text: str, style: str) -> list[_Seg]:
    """One segment per sentence, each wrapped in its own tag so a split may fall between."""
    tag = _TAGS.get(style)
    segs = []
    for piece in _pieces(clean(text)):
        escaped = html.escape(piece, quote=False)
        segs.append(_Seg(f"<{tag}>{escaped}</{tag}>" if tag else escaped, units(piece)))
    return segs


def _pieces(text: str) -> list[str]:
    """Sentences of ``text`` with their trailing spaces, so joining them restores it."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


# ---------------------------------------------------------------- splitting


def _pack(lines: list[list[_Seg]], limit: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    used = 0

    def flush() -> None:
        nonlocal used
        text = "".join(current).strip("\n")
        if text.strip():
            chunks.append(text)
        current.clear()
        used = 0

    for index, row in enumerate(lines):
        segs = [_NEWLINE, *row] if index else list(row)
        if used + sum(s.units for s in segs) <= limit:
            current.extend(s.html for s in segs)
            used += sum(s.units for s in segs)
            continue
        for seg in segs:
            for piece in _fit(seg, limit):
                if used + piece.units > limit:
                    flush()
                    if piece is _NEWLINE:
                        continue
                current.append(piece.html)
                used += piece.units
    flush()
    return chunks


def _fit(seg: _Seg, limit: int) -> list[_Seg]:
    """``seg`` cut into segments of at most ``limit`` units (words first, then code units)."""
    if seg.units <= limit:
        return [seg]
    tag, inner = _unwrap(seg.html)
    text = html.unescape(inner)
    words = [w for w in _WORD_END.split(text) if w]
    out: list[_Seg] = []
    buf = ""
    used = 0
    for word in words:
        for part in _hard_cut(word, limit):
            if buf and used + units(part) > limit:
                out.append(_wrap(buf, tag))
                buf, used = "", 0
            buf += part
            used += units(part)
    if buf:
        out.append(_wrap(buf, tag))
    return out


def _hard_cut(text: str, limit: int) -> list[str]:
    if units(text) <= limit:
        return [text]
    parts: list[str] = []
    buf = ""
    used = 0
    for ch in text:  # by code point, so a surrogate pair is never cut in half
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit:
            parts.append(buf)
            buf, used = "", 0
        buf += ch
        used += width
    if buf:
        parts.append(buf)
    return parts


_WRAPPED = re.compile(r"^<(b|i|code)>(.*)</\1>$", re.DOTALL)


def _unwrap(markup: str) -> tuple[str | None, str]:
    match = _WRAPPED.match(markup)
    if match:
        return match.group(1), match.group(2)
    if markup.startswith("<"):
        # A link or title longer than a whole message: keep its text, drop the markup.
        return None, re.sub(r"<[^>]+>", "", markup)
    return None, markup


def _wrap(text: str, tag: str | None) -> _Seg:
    escaped = html.escape(text, quote=False)
    return _Seg(f"<{tag}>{escaped}</{tag}>" if tag else escaped, units(text))

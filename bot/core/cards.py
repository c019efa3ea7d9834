"""The render seam: platform-neutral messages.

The core decides *what* a post, an expansion or an answer says and which buttons it
carries; each adapter decides only *how* that looks (Telegram HTML, a Discord embed,
console text). Text is kept as runs of plain text, styled text and links, so every
adapter escapes feed text exactly once, in its own syntax.

Actions are encoded compactly (``e:k7q2:2``) so they fit Telegram's 64-byte
``callback_data`` and Discord's 100-character ``custom_id`` and survive restarts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Style = Literal["plain", "bold", "italic", "code"]


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    style: Style = "plain"


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str


Inline = Text | Link
Line = tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """A named block: a section of a story post."""

    name: str
    value: Line


ActionKind = Literal["expand", "sources", "mute"]
_ACTION_CODES: dict[ActionKind, str] = {"expand": "e", "sources": "s", "mute": "m"}
_ACTION_KINDS: dict[str, ActionKind] = {v: k for k, v in _ACTION_CODES.items()}
_STORY_ID = re.compile(r"^[a-z0-9]{2,12}$")


@dataclass(frozen=True, slots=True)
class Action:
    """What a button does, in a form that needs no server-side state."""

    kind: ActionKind
    story_id: str
    section: int | None = None  # 1-based, for "expand"

    def encode(self) -> str:
        parts = [_ACTION_CODES[self.kind], self.story_id]
        if self.section is not None:
            parts.append(str(self.section))
        return ":".join(parts)

    @classmethod
    def decode(cls, data: str) -> Action | None:
        """The action encoded in ``data``, or None when it is not one of ours."""
        parts = data.split(":")
        if len(parts) not in (2, 3) or parts[0] not in _ACTION_KINDS:
            return None
        if not _STORY_ID.match(parts[1]):
            return None
        section: int | None = None
        if len(parts) == 3:
            if not parts[2].isdigit() or len(parts[2]) > 2:
                return None
            section = int(parts[2])
        return cls(_ACTION_KINDS[parts[0]], parts[1], section)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class Card:
    """One message as people see it, before any platform syntax.

    ``title`` links to ``title_url`` when set. ``body`` is paragraphs; ``fields`` are
    named blocks (a post's sections); ``footer`` lines are small print.
    """

    body: tuple[Line, ...] = ()
    title: str | None = None
    title_url: str | None = None
    fields: tuple[Field, ...] = ()
    footer: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    story_id: str | None = None

    def plain_text(self) -> str:
        """The card as plain text (console, logs, tests)."""
        return render_plain(self)


def line(*parts: Inline | str) -> Line:
    """A line from strings (plain text) and inline runs."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def line_text(value: Line) -> str:
    return "".join(part.text for part in value)


def render_plain(card: Card) -> str:
    """Plain-text rendering shared by the console adapter and tests.

    Links show as ``text`` followed by the URL only for titles and source lists; citation
    markers keep their ``[n]`` text so a reader can look them up in the source list.
    """
    out: list[str] = []
    if card.title:
        out.append(card.title)
    out.extend(line_text(paragraph) for paragraph in card.body)
    if card.fields:
        out.append("")
        for f in card.fields:
            out.append(f"▸ {f.name}")
            if f.value:
                out.append(f"  {line_text(f.value)}")
    if card.footer:
        out.append("")
        out.extend(card.footer)
    if card.buttons:
        out.append(" ".join(f"[{b.label}]" for b in card.buttons))
    return "\n".join(out)

"""The render seam: platform-neutral messages.

The core decides *what* a post, an expansion or an answer says and which buttons it
carries; each adapter decides only *how* that looks (Telegram HTML, a Discord embed,
console text). Text is kept as runs of plain text, styled text and links, so every
adapter escapes feed text exactly once, in its own syntax.

Actions are encoded compactly (``e:k7q2:2@7.mfzq4a``) so they fit Telegram's 64-byte
``callback_data`` and Discord's 100-character ``custom_id`` and survive restarts. A button
names the story version it was rendered from, and an expansion names its section by a key
of its heading too, so a press means the same thing after the story has moved on.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
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
_STORY_ID = re.compile(r"[a-z0-9]{2,12}")
_KEY = re.compile(r"[a-z2-7]{6}")
SECTION_MAX = 99
VERSION_MAX = 999_999_999
# code:story[:section][@version[.key]]. Buttons sent before versions were added have no
# "@" part; they are persistent on both platforms, so they still decode.
ACTION_PATTERN = (
    r"(?P<code>[esm]):(?P<story>[a-z0-9]{2,12})(?::(?P<section>[0-9]{1,2}))?"
    r"(?:@(?P<version>[0-9]{1,9})(?:\.(?P<key>[a-z2-7]{6}))?)?"
)
_ACTION = re.compile(ACTION_PATTERN)


def section_key(heading: str) -> str:
    """Six characters naming a section by its heading, the same in every story version.

    Case, width and spacing are ignored, so a heading that is only re-cased still matches.
    30 bits of a hash: a story has a handful of sections, so two never share a key by chance.
    """
    normal = " ".join(unicodedata.normalize("NFKC", heading).casefold().split())
    digest = hashlib.sha256(normal.encode()).digest()
    return base64.b32encode(digest).decode()[:6].lower()


@dataclass(frozen=True, slots=True)
class Action:
    """What a button does, in a form that needs no server-side state.

    ``version`` is the story version the button was rendered from and ``key`` the
    ``section_key`` of the section it expands; both are None on buttons sent before they
    existed (``e:k7q2:2``). Out-of-range values raise ``ValueError``, so every Action
    encodes to a string that ``decode`` reads back, at most 34 characters.
    """

    kind: ActionKind
    story_id: str
    section: int | None = None  # 1-based position in that version, for "expand"
    version: int | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if not _STORY_ID.fullmatch(self.story_id):
            raise ValueError(f"not a story id: {self.story_id!r}")
        if self.section is not None and not 0 <= self.section <= SECTION_MAX:
            raise ValueError(f"section out of range: {self.section}")
        if self.version is not None and not 0 <= self.version <= VERSION_MAX:
            raise ValueError(f"version out of range: {self.version}")
        if self.key is not None and (self.version is None or not _KEY.fullmatch(self.key)):
            raise ValueError(f"a key needs a version and six base32 letters: {self.key!r}")

    def encode(self) -> str:
        data = f"{_ACTION_CODES[self.kind]}:{self.story_id}"
        if self.section is not None:
            data += f":{self.section}"
        if self.version is not None:
            data += f"@{self.version}"
            if self.key is not None:
                data += f".{self.key}"
        return data

    @classmethod
    def decode(cls, data: str) -> Action | None:
        """The action encoded in ``data`` (either format), or None when it is not one of ours."""
        match = _ACTION.fullmatch(data)
        if match is None:
            return None
        section, version = match["section"], match["version"]
        return cls(
            _ACTION_KINDS[match["code"]],
            match["story"],
            int(section) if section is not None else None,
            int(version) if version is not None else None,
            match["key"],
        )


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
    # A role to mention (Discord), set on a story's first post only; platforms without
    # roles ignore it.
    mention_role: str | None = None

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

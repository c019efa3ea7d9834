"""Card -> Discord message: one embed (or plain content) and a view of persistent buttons.

Every Discord size limit is respected here, by cutting text between sentences, so that a
send never fails with 400/50035 because a feed wrote a long paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from adapters.discord.buttons import ActionButton
from adapters.discord.text import ELLIPSIS, escape_to_fit, fit_lines, render_line, safe_url
from bot.core.cards import Button, Card, line_text

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
BUTTONS_MAX = 25
THREAD_NAME_MAX = 100
EMPTY_FIELD = "\u200b"  # Discord rejects empty field values; a zero-width space shows nothing
EMBED_COLOUR = discord.Colour(0x2B6CB0)


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to pass to ``send``: content and/or one embed, and the buttons."""

    content: str | None
    embed: discord.Embed | None
    buttons: tuple[Button, ...]

    def view(self) -> discord.ui.View | None:
        """The buttons as a view. Built on demand: a View needs a running event loop."""
        if not self.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for button in self.buttons:
            view.add_item(ActionButton(button.action, button.label))
        return view

    def size(self) -> int:
        return len(self.content or "") + (len(self.embed) if self.embed else 0)


def render_card(card: Card) -> Rendered:
    """Body-only cards become plain content; anything with a title or fields an embed."""
    buttons = fit_buttons(card.buttons)
    if card.title is None and not card.fields:
        text = render_plain_content(card)
        if text is not None:
            return Rendered(content=text, embed=None, buttons=buttons)
    return Rendered(content=None, embed=render_embed(card), buttons=buttons)


def render_plain_content(card: Card) -> str | None:
    """The card as message content, or None when it needs an embed's 4,096 characters."""
    body = "\n".join(render_line(value) for value in card.body)
    footer = "\n".join("-# " + escape_to_fit(note, 300) for note in card.footer)
    text = "\n".join(part for part in (body, footer) if part)
    if not text:
        return None
    return text if len(text) <= CONTENT_MAX else None


def render_embed(card: Card) -> discord.Embed:
    title = escape_to_fit(card.title, TITLE_MAX) if card.title else None
    url = safe_url(card.title_url) if card.title_url and title else None
    footer = shorten_footer(card.footer)
    fields = [
        (
            escape_to_fit(f.name, FIELD_NAME_MAX) or EMPTY_FIELD,
            fit_lines((f.value,), FIELD_VALUE_MAX) or EMPTY_FIELD,
        )
        for f in card.fields[:FIELDS_MAX]
    ]
    fixed = len(title or "") + len(footer) + sum(len(n) + len(v) for n, v in fields)
    if fixed > EMBED_TOTAL_MAX - 500:
        # Fields are the least important part: drop them from the end until the
        # description keeps at least 500 characters.
        while fields and fixed > EMBED_TOTAL_MAX - 500:
            name, value = fields.pop()
            fixed -= len(name) + len(value)
    room = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - fixed)
    description = fit_lines(card.body, room) or None
    embed = discord.Embed(title=title, url=url, description=description, colour=EMBED_COLOUR)
    for name, value in fields:
        # Sections with no text are a list of headings: inline keeps them on one line.
        embed.add_field(name=name, value=value, inline=value == EMPTY_FIELD)
    if footer:
        embed.set_footer(text=footer)
    return embed


def shorten_footer(notes: tuple[str, ...]) -> str:
    """Footer text is not markdown: raw text, one note per line, within 2,048 characters."""
    text = "\n".join(note.replace("\n", " ") for note in notes)
    if len(text) <= FOOTER_MAX:
        return text
    return text[: FOOTER_MAX - 1] + ELLIPSIS


def fit_buttons(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    """At most 25 buttons; expansions give way so Sources and Mute always stay."""
    if len(buttons) <= BUTTONS_MAX:
        return buttons
    others = [b for b in buttons if b.action.kind != "expand"][:BUTTONS_MAX]
    room = BUTTONS_MAX - len(others)
    expands = [b for b in buttons if b.action.kind == "expand"][:room]
    kept = {id(b) for b in (*expands, *others)}
    return tuple(b for b in buttons if id(b) in kept)


def thread_name(card: Card) -> str:
    """A forum post's title: the headline, plain (thread names are not markdown)."""
    source = card.title or (line_text(card.body[0]) if card.body else "")
    name = " ".join(source.split()) or "News"
    return name if len(name) <= THREAD_NAME_MAX else name[: THREAD_NAME_MAX - 1] + ELLIPSIS

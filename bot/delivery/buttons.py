"""A story post's buttons and how a press's label is read back.

Every action names the version it was rendered from and each section's key; labels are
in the chat's language, and older posts' labels (English, or cut short) still match.
"""

from __future__ import annotations

import re

from bot.core.cards import SECTION_MAX, Action, Button, section_key
from bot.core.domain import Summary
from bot.core.words import N_, _
from bot.text.sentences import shorten

BUTTON_LABEL_MAX = 32
_EXPAND = N_("Expand: %(heading)s")
# "Sources (3)" in any language: the count in parentheses ends the label.
_SOURCES_LABEL = re.compile(r"\D*\((\d{1,4})\)\W*")


def expand_label(heading: str) -> str:
    return shorten(_(_EXPAND, heading=heading), BUTTON_LABEL_MAX)


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def label_names(label: str, heading: str) -> bool:
    """Whether an expand button's label, as a platform showed it, names ``heading``.

    Buttons sent before they carried a section key are matched by their label; a label
    cut short with an ellipsis (by us or by the platform) names every heading it begins.
    """
    shown = _folded(label)
    stem = shown.removesuffix("…").rstrip()
    # The label was shown in the chat's language then; English is what older posts had.
    for pattern in {_EXPAND, _(_EXPAND)}:
        full = _folded(pattern % {"heading": heading})
        prefix = _folded(pattern % {"heading": ""})
        if shown in (full, _folded(shorten(full, BUTTON_LABEL_MAX))):
            return True
        if shown.endswith("…") and len(stem) > len(prefix) and full.startswith(stem):
            return True
    return False


def sources_label(count: int) -> str:
    return _("Sources (%(count)s)", count=count)


def sources_label_count(label: str | None) -> int | None:
    """How many sources a "Sources (n)" button's post listed, from its label."""
    found = _SOURCES_LABEL.fullmatch(label.strip()) if label else None
    return int(found.group(1)) if found else None


def story_buttons(summary: Summary, *, living: bool = False) -> tuple[Button, ...]:
    """A button per section, Sources, and Mute on living posts.

    Every action names the version it was rendered from and each section's key, so a
    press shows what its label says after the story has moved on (see ``StoryCommands``).
    """
    version = summary.story_version
    buttons = [
        Button(
            expand_label(section.heading),
            Action("expand", summary.story_id, number, version, section_key(section.heading)),
        )
        for number, section in enumerate(summary.sections[:SECTION_MAX], start=1)
    ]
    buttons.append(
        Button(
            sources_label(len(summary.sources)),
            Action("sources", summary.story_id, version=version),
        )
    )
    if living:
        buttons.append(Button(_("Mute this story"), Action("mute", summary.story_id)))
    return tuple(buttons)

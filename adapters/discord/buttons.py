"""Persistent buttons: the action lives in the ``custom_id``, so a click works after restarts.

discord.py matches the ``custom_id`` of every component click against the template and
builds an :class:`ActionButton` from it; no per-message state is kept in memory.
Exceptions in a dynamic item's callback are only logged by discord.py, so the callback
hands every click to the client's ``newsbot_on_action`` and that reports its own errors.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.cards import ACTION_PATTERN, Action, ActionKind

PREFIX = "nb:"
# Both formats (``nb:e:k7q2:2`` and ``nb:e:k7q2:2@7.mfzq4a``): posts already sent keep theirs.
TEMPLATE = re.compile(f"{PREFIX}(?P<action>{ACTION_PATTERN})")
LABEL_MAX = 80

# (interaction, action, the button's label as the message showed it, if it did)
ActionHandler = Callable[["discord.Interaction[Any]", Action, str | None], Awaitable[None]]

_STYLES: dict[ActionKind, discord.ButtonStyle] = {
    "expand": discord.ButtonStyle.secondary,
    "sources": discord.ButtonStyle.primary,
    "mute": discord.ButtonStyle.danger,
}


def custom_id_of(action: Action) -> str:
    return PREFIX + action.encode()


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=TEMPLATE,
):
    def __init__(self, action: Action, label: str | None) -> None:
        shown = (label or "").strip() or action.kind
        if len(shown) > LABEL_MAX:
            shown = shown[: LABEL_MAX - 1] + "…"
        super().__init__(
            discord.ui.Button(
                label=shown, custom_id=custom_id_of(action), style=_STYLES[action.kind]
            )
        )
        self.action = action
        self.label = label  # as the clicked message showed it; None when it did not say

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        action = Action.decode(match["action"])
        if action is None:
            raise ValueError(f"not an action: {match['action']!r}")
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(action, label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: ActionHandler | None = getattr(interaction.client, "newsbot_on_action", None)
        if handler is not None:
            await handler(interaction, self.action, self.label)

"""Quiet answers in groups and channels: a button press or a question is answered to the
person who asked, not to everyone.

The answer goes to the person's DM when they have started the bot; otherwise the press
gets a short callback answer whose link (``t.me/<bot>?start=<payload>``) opens the DM,
where ``/start <payload>`` shows the answer. A channel's posts carry such links instead
of callback buttons, so a reader's press never makes the bot post in the channel.

A payload is an ``Action`` in the characters a start parameter allows (A-Z a-z 0-9 _ -,
at most 64): ``e:k7q2:2@3.abcdef`` becomes ``e_k7q2_2-3-abcdef``. Mute carries the
chat it mutes (``mute_k7q2_n1001234``), and is honoured only for that chat's admins.
"""

from __future__ import annotations

import re

from bot.core.cards import Action

START_MAX = 64
_MUTE = re.compile(r"mute_([a-z0-9]{2,12})_(n?\d{1,20})")


def action_payload(action: Action) -> str | None:
    """The start parameter of an expand or sources action (None when it cannot fit)."""
    payload = action.encode().replace(":", "_").replace("@", "-").replace(".", "-")
    return payload if len(payload) <= START_MAX else None


def mute_payload(story_id: str, chat_id: int) -> str:
    return f"mute_{story_id}_{str(chat_id).replace('-', 'n')}"


def decode_payload(payload: str) -> Action | tuple[str, int] | None:
    """An action, or (story id, chat id) for a mute; None for anything else."""
    mute = _MUTE.fullmatch(payload)
    if mute is not None:
        return mute[1], int(mute[2].replace("n", "-"))
    head, *rest = payload.split("-")
    if len(rest) > 2:
        return None
    data = head.replace("_", ":")
    if rest:
        data += "@" + rest[0]
    if len(rest) > 1:
        data += "." + rest[1]
    action = Action.decode(data)
    return action if action is not None and action.kind != "mute" else None


def deep_link(username: str, payload: str) -> str:
    return f"https://t.me/{username}?start={payload}"

"""A notice to a chat (a feed stopped answering, ...), stored so it is said in the chat's
language when it is sent, not in the language of the process that noticed.

A notice is queued once and sent later, possibly to chats of several languages, so the
outbox keeps its message id and values (JSON), and the dispatcher translates it inside
the chat's ``speaking(...)`` block. Moments are stored as ISO times and written for the
chat's locale then. Rows queued before notices were stored this way hold plain English
text: they are sent as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.words import _, isolate, spoken


@dataclass(frozen=True, slots=True)
class Notice:
    """``msgid`` (marked with ``N_`` where it is written) and what fills its placeholders:
    ``values`` are shown isolated (names, addresses, errors keep their own direction in a
    right-to-left chat), ``moments`` are written for the chat's locale."""

    msgid: str
    values: Mapping[str, str] = field(default_factory=dict)
    moments: Mapping[str, datetime] = field(default_factory=dict)

    def encode(self) -> str:
        """The outbox body."""
        return json.dumps(
            {
                "msgid": self.msgid,
                "values": dict(self.values),
                "moments": {key: when.isoformat() for key, when in self.moments.items()},
            },
            ensure_ascii=False,
            sort_keys=True,
        )


def decode_notice(body: str) -> Notice | None:
    """The notice stored in ``body``, or None for a plain-text body (an older row)."""
    if not body.startswith("{"):
        return None
    try:
        data = json.loads(body)
        msgid, values, moments = data["msgid"], data.get("values", {}), data.get("moments", {})
        if not isinstance(msgid, str) or not isinstance(values, dict):
            return None
        return Notice(
            msgid,
            {str(k): str(v) for k, v in values.items()},
            {str(k): datetime.fromisoformat(v) for k, v in dict(moments).items()},
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def notice_words(body: str) -> str:
    """A stored notice in the current chat's language (a plain-text body as it is)."""
    notice = decode_notice(body)
    if notice is None:
        return body
    words = spoken()
    filled: dict[str, object] = {key: isolate(value) for key, value in notice.values.items()}
    filled.update({key: words.moment(when) for key, when in notice.moments.items()})
    try:
        return _(notice.msgid, **filled)
    except (KeyError, ValueError, TypeError):
        pass
    # A row whose values do not fit its message (written by another version): the
    # English with what fits, else the bare message; a notice is never lost to a typo.
    try:
        return notice.msgid % filled
    except (KeyError, ValueError, TypeError):
        return notice.msgid

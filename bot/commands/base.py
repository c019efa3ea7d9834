"""What every command handler shares: who asked, where, and the core's services."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.commands.ports import CommandStore, FeedProbe
from bot.core.cards import Card, Line, line
from bot.core.domain import Destination
from bot.core.errors import CommandError
from bot.core.ports import Clock, Summarizer

log = logging.getLogger("newsbot.commands")

TOPIC_HINT = (
    'Tell me what to follow, e.g. /subscribe iraq, /subscribe "al asad" OR baghdad, '
    "/subscribe iraq -football."
)
LATEST_HINT = "/latest shows recent stories and their ids."
MAX_TOPIC_CHARS = 200
MAX_QUESTION_CHARS = 500
LATEST_COUNT = 5


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who typed a command where. The adapter decides ``can_manage`` by platform rules."""

    destination: Destination
    user_id: str
    can_manage: bool
    is_private: bool = False


def card(*lines: Line | str) -> Card:
    return Card(body=tuple(line(x) if isinstance(x, str) else x for x in lines))


class CommandBase:
    """The services command handlers use; the handler groups extend it."""

    def __init__(
        self,
        *,
        storage: CommandStore,
        summarizer: Summarizer,
        clock: Clock,
        feed_probe: FeedProbe | None = None,
        public_url: str = "",
    ) -> None:
        self.storage = storage
        self.summarizer = summarizer
        self.clock = clock
        self.feed_probe = feed_probe
        self.public_url = public_url.rstrip("/")

    def page_url(self, story_id: str) -> str | None:
        """The story's web page (``[web] public_url``), or None when pages are off."""
        return f"{self.public_url}/s/{story_id}" if self.public_url else None

    def _require_manage(self, inv: Invocation) -> None:
        if not inv.can_manage:
            raise CommandError(
                "Only this chat's admins can change its subscriptions. "
                "You can subscribe in a direct message with me."
            )

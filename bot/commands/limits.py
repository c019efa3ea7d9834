"""Fair use: how many feeds a community may add, how often one person may ask, and how
many LLM tokens a community's questions may spend per day.

The per-person counts live in memory (a restart forgives everyone; several processes
each count their own share, so a person gets at most N per process). The per-scope
token use is stored (``ScopeUsageStore``), so ``/usage`` and the budget see every
process.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.words import n_

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    """TOML section [limits]."""

    feeds_per_scope: int = 50  # feeds one server, group, channel or DM may add
    questions_per_hour: int = 20  # /ask and replies with a question, per person; 0 = no limit
    answers_per_hour: int = 60  # Expand and Sources presses answered, per person; 0 = no limit
    # LLM tokens one scope's questions may use per UTC day, on top of [llm]
    # daily_token_budget; 0 = no per-scope limit. Over it, questions get extractive answers.
    scope_daily_tokens: int = 0

    def __post_init__(self) -> None:
        for name in ("feeds_per_scope", "questions_per_hour", "answers_per_hour"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more")
        if self.scope_daily_tokens < 0:
            raise ValueError("scope_daily_tokens must be 0 or more")


class PersonLimiter:
    """At most ``per_hour`` events per person in any sliding hour."""

    def __init__(self, per_hour: int, *, max_people: int = 100_000) -> None:
        self.per_hour = per_hour
        self.max_people = max_people
        self._seen: dict[str, deque[datetime]] = {}

    def take(self, person: str, now: datetime) -> datetime | None:
        """Count one event for ``person``; None when allowed, else when they may try again."""
        if self.per_hour <= 0:
            return None
        times = self._seen.setdefault(person, deque())
        while times and times[0] <= now - HOUR:
            times.popleft()
        if len(times) >= self.per_hour:
            return times[0] + HOUR
        times.append(now)
        if len(self._seen) > self.max_people:  # forget the quietest first
            for key in [k for k, v in self._seen.items() if not v or v[-1] <= now - HOUR]:
                del self._seen[key]
        return None


def wait_words(now: datetime, until: datetime) -> str:
    """``until`` as a person reads it, in the chat's language: "in 12 minutes"."""
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return n_("in %(count)s minute", "in %(count)s minutes", minutes)

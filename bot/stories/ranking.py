"""Which stories matter most right now: the order of ``/catchup`` and of digests.

A story counts for its independent outlets (each outlet that reported it is one vote),
a breaking story counts more, and importance halves every ``HALF_LIFE_H`` hours since the
story last moved, so yesterday's big story and this morning's medium one compete fairly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.domain import Story

HALF_LIFE_H = 12.0
BREAKING_BONUS = 3.0


def importance(story: Story, now: datetime) -> float:
    age_h = max(0.0, (now - story.updated_at).total_seconds() / 3600)
    weight = story.outlet_count + (BREAKING_BONUS if story.breaking_at is not None else 0.0)
    return float(weight * 0.5 ** (age_h / HALF_LIFE_H))


def rank(stories: Sequence[Story], now: datetime) -> list[Story]:
    """Most important first; ties go to the newer story, then to the id (stable)."""
    return sorted(stories, key=lambda s: (-importance(s, now), -s.updated_at.timestamp(), s.id))

"""Clocks: the core never calls ``datetime.now()`` itself, so its decisions are testable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told to (tests, evaluation, replays)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass(frozen=True)
class ShiftedClock:
    """The real clock's pace from another moment: a replay of old feeds (``newsbot demo
    --feeds``) runs at their own dates, so an undated item reads as arriving with the
    newest one, not years later, and stories stay open for the feeds polled after it."""

    start: datetime
    origin: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.start + (datetime.now(UTC) - self.origin)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

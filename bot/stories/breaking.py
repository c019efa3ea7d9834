"""When a story becomes *breaking*.

Two ways: breadth (at least ``outlets`` independent outlets report it within
``within_hours`` of its first article) or a jump in velocity (an older, slow story suddenly
gets ``velocity_outlets`` independent reports within ``velocity_window_hours``, at least
``velocity_factor`` times faster than its pace so far).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class BreakingConfig:
    """Knobs of breaking detection (TOML section ``[breaking]``)."""

    outlets: int = 3  # independent outlets needed within ``within_hours`` of the first
    within_hours: float = 3.0
    velocity_outlets: int = 3  # outlets in one burst for a velocity jump (0 = off)
    velocity_window_hours: float = 1.0  # length of a burst
    velocity_factor: float = 4.0  # burst rate over the story's earlier rate

    def __post_init__(self) -> None:
        whole = {"outlets": 1, "velocity_outlets": 0}
        for name, lower in whole.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < lower:
                raise ConfigError(f"breaking.{name} must be a whole number >= {lower}")
        for name in ("within_hours", "velocity_window_hours", "velocity_factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"breaking.{name} must be a number above 0")


def breaking_since(
    reports: Sequence[tuple[str, datetime]], config: BreakingConfig
) -> datetime | None:
    """When the story became breaking, or None if it never did.

    ``reports`` are (independent outlet, time) pairs in any order; an outlet counts once
    per test (its earliest report for breadth, distinct outlets for velocity).
    """
    if not reports:
        return None
    ordered = sorted(reports, key=lambda r: r[1])
    times = [
        t
        for t in (_breadth_time(ordered, config), _velocity_time(ordered, config))
        if t is not None
    ]
    return min(times) if times else None


def _breadth_time(
    ordered: Sequence[tuple[str, datetime]], config: BreakingConfig
) -> datetime | None:
    need = config.outlets
    first = ordered[0][1]
    limit = first + timedelta(hours=config.within_hours)
    seen: set[str] = set()
    for outlet, when in ordered:
        if when > limit:
            return None
        if outlet in seen:
            continue
        seen.add(outlet)
        if len(seen) >= need:
            return when
    return None


def _velocity_time(
    ordered: Sequence[tuple[str, datetime]], config: BreakingConfig
) -> datetime | None:
    need = config.velocity_outlets
    if need < 2:
        return None  # one report is no burst; 0 switches the rule off
    window = timedelta(hours=config.velocity_window_hours)
    first = ordered[0][1]
    start = 0
    for end in range(len(ordered)):
        end_time = ordered[end][1]
        while ordered[start][1] < end_time - window:
            start += 1
        burst = {outlet for outlet, _ in ordered[start : end + 1]}
        if len(burst) < need:
            continue
        burst_start = end_time - window
        if burst_start <= first:
            continue  # a burst at the start is breadth, judged by its own rule
        # Pace before the burst: reports per hour over the story's life so far.
        earlier = start
        lived_h = (burst_start - first).total_seconds() / 3600.0
        past_rate = earlier / lived_h
        burst_rate = (end + 1 - start) / config.velocity_window_hours
        if burst_rate >= config.velocity_factor * past_rate:
            return end_time
    return None

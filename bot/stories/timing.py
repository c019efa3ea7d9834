"""How time bears on clustering: how long a story stays open, how the gap to its latest
report and its age weigh a join. Each is measured against the stream's pace (the average
gap between arrivals), so a sparse stream is judged on its own scale."""

from __future__ import annotations

import math

from bot.stories.clustering_config import ClusterConfig


def window_s(cfg: ClusterConfig, mean_gap: float) -> float:
    """How long a quiet story stays open: ``window_hours``, or longer in a sparse stream.

    In a stream that brings few articles a day the window stretches to the time
    ``window_articles`` arrivals take, so a story is not closed before other news has
    even gone by; time proximity still makes an old story hard to join.
    """
    return max(cfg.window_hours * 3600.0, cfg.window_articles * mean_gap)


def proximity(cfg: ClusterConfig, mean_gap: float, gap_s: float) -> float:
    """1 for simultaneous reports, decaying with the gap measured against the stream pace."""
    scale = max(cfg.time_scale_hours * 3600.0, cfg.pace_factor * mean_gap)
    floor = cfg.time_floor
    return floor + (1.0 - floor) * math.exp(-gap_s / scale)


def age_factor(cfg: ClusterConfig, mean_gap: float, age_s: float) -> float:
    """How plausible it is that a story this old still gains reports of its event.

    Proximity to the latest report alone lets a topic chain from day to day (a
    tournament's previews, venue guides and quizzes over two weeks); an event's
    reports cluster within days of its first one. Measured against the stream's pace,
    as proximity is, so a sparse sample spread over years is judged on its own scale.
    """
    scale = max(cfg.story_span_hours * 3600.0, cfg.span_pace_factor * mean_gap)
    floor = cfg.age_floor
    return floor + (1.0 - floor) * math.exp(-max(0.0, age_s) / scale)


class Pace:
    """The stream's pace: the average gap between arrivals, in seconds, over about the
    last hundred. Observed after each decision, so a decision uses only the past."""

    __slots__ = ("_arrivals", "_last_arrival", "mean_gap")

    def __init__(self) -> None:
        self.mean_gap = 0.0
        self._arrivals = 0
        self._last_arrival = -math.inf

    def observe(self, ts: float) -> None:
        if self._arrivals:
            gap = max(0.0, ts - self._last_arrival)
            weight = 1.0 / min(self._arrivals, 100)
            self.mean_gap += weight * (gap - self.mean_gap)
        self._arrivals += 1
        self._last_arrival = max(self._last_arrival, ts)

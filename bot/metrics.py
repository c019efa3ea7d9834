"""Operational metrics, kept in the core as plain numbers.

Stages record what they did here; an adapter (the HTTP server) exports the registry in
Prometheus format at scrape time. The core needs no metrics library this way, and tests
can read the numbers directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["counter", "gauge", "summary"]
Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    kind: Kind
    help: str
    labels: Labels
    value: float
    count: int = 0  # summaries: how many observations ``value`` (their sum) covers


def expose(metrics: Metrics, prefix: str, source: object, names: tuple[str, ...]) -> None:
    """Publish numeric attributes of a stats object as gauges read at export time."""
    for name in names:
        if hasattr(source, name):
            metrics.gauge_from(
                f"{prefix}_{name}",
                lambda name=name: float(getattr(source, name)),  # type: ignore[misc]
                help=f"{prefix}: {name.replace('_', ' ')}",
            )


def _labels(labels: dict[str, str]) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


@dataclass
class Metrics:
    """A small thread-safe registry of counters, gauges and summaries (count + sum)."""

    _values: dict[tuple[str, Labels], float] = field(default_factory=dict)
    _counts: dict[tuple[str, Labels], int] = field(default_factory=dict)
    _kinds: dict[str, tuple[Kind, str]] = field(default_factory=dict)
    _gauges: dict[str, tuple[str, Callable[[], float]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _declare(self, name: str, kind: Kind, help_text: str) -> None:
        known = self._kinds.setdefault(name, (kind, help_text))
        if known[0] != kind:
            raise ValueError(f"metric {name} is a {known[0]}, not a {kind}")

    def inc(self, name: str, amount: float = 1.0, *, help: str = "", **labels: str) -> None:
        key = (name, _labels(labels))
        with self._lock:
            self._declare(name, "counter", help)
            self._values[key] = self._values.get(key, 0.0) + amount

    def set(self, name: str, value: float, *, help: str = "", **labels: str) -> None:
        key = (name, _labels(labels))
        with self._lock:
            self._declare(name, "gauge", help)
            self._values[key] = value

    def observe(self, name: str, value: float, *, help: str = "", **labels: str) -> None:
        key = (name, _labels(labels))
        with self._lock:
            self._declare(name, "summary", help)
            self._values[key] = self._values.get(key, 0.0) + value
            self._counts[key] = self._counts.get(key, 0) + 1

    def gauge_from(self, name: str, read: Callable[[], float], *, help: str = "") -> None:
        """A gauge read at export time (queue depth, event-loop lag, LLM tokens)."""
        with self._lock:
            self._declare(name, "gauge", help)
            self._gauges[name] = (help, read)

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._values.get((name, _labels(labels)), 0.0)

    def samples(self) -> Iterator[Sample]:
        """Every value, for exporters. Callback gauges are read now."""
        with self._lock:
            stored = [
                Sample(
                    name,
                    self._kinds[name][0],
                    self._kinds[name][1],
                    labels,
                    value,
                    self._counts.get((name, labels), 0),
                )
                for (name, labels), value in sorted(self._values.items())
            ]
            callbacks = list(self._gauges.items())
        yield from stored
        for name, (help_text, read) in callbacks:
            yield Sample(name, "gauge", help_text, (), float(read()))

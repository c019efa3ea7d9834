"""Operational metrics, kept in the core as plain numbers.

Stages record what they did here; an adapter (the HTTP server) exports the registry in
Prometheus format at scrape time. The core needs no metrics library this way, and tests
can read the numbers directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["counter", "gauge", "summary"]
Labels = tuple[tuple[str, str], ...]
# A callback's reading: one number, or one number per value of its label.
Reading = float | Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    kind: Kind
    help: str
    labels: Labels
    value: float
    count: int = 0  # summaries: how many observations ``value`` (their sum) covers


def expose(
    metrics: Metrics, prefix: str, source: object, names: tuple[str, ...],
    *, kind: Kind = "counter",
) -> None:  # fmt: skip
    """Publish numeric attributes of a stats object, read at export time.

    Stats objects only ever count up, so they are counters unless told otherwise."""
    for name in names:
        if hasattr(source, name):
            metrics.read_from(
                f"{prefix}_{name}",
                lambda name=name: float(getattr(source, name)),  # type: ignore[misc]
                kind=kind,
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
    _reads: dict[str, tuple[Kind, str, str, Callable[[], Reading]]] = field(default_factory=dict)
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

    def read_from(
        self, name: str, read: Callable[[], Reading], *, kind: Kind = "gauge",
        label: str = "", help: str = "",
    ) -> None:  # fmt: skip
        """A counter or gauge read at export time from the stage that keeps it.

        ``read`` returns one number, or (with ``label``) a number per label value, such
        as fallbacks by reason."""
        if kind == "summary":
            raise ValueError("a summary needs observations; use observe()")
        with self._lock:
            self._declare(name, kind, help)
            self._reads[name] = (kind, help, label, read)

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
            callbacks = list(self._reads.items())
        yield from stored
        for name, (kind, help_text, label, read) in callbacks:
            reading = read()
            if isinstance(reading, Mapping):
                for value, number in sorted(reading.items()):
                    yield Sample(name, kind, help_text, ((label, str(value)),), float(number))
            else:
                yield Sample(name, kind, help_text, (), float(reading))

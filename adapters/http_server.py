"""A small HTTP server for operators: liveness, readiness and Prometheus metrics; and the
story pages (``/s/<story>``, ``adapters.web``) when ``[web] public_url`` is set.

``/healthz``  200 while the event loop answers at all (a wedged loop cannot reply).
``/readyz``   200 when every readiness check passes, else 503 naming the failing ones.
``/metrics``  the core's ``Metrics`` registry in Prometheus text (or OpenMetrics, when the
              scraper asks for it), produced by ``prometheus_client`` at scrape time, plus
              event-loop lag and the standard ``process_*`` metrics.

The core keeps plain numbers (``bot.core.metrics``); this adapter is the only place that knows
the Prometheus naming rules.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import choose_encoder

from adapters.http_config import HttpConfig, parse_listen
from adapters.looplag import LoopLagMonitor
from bot.core.errors import ConfigError, NewsbotError
from bot.core.metrics import Kind, Metrics, Sample

__all__ = ["HealthServer", "HttpConfig", "NewsbotCollector", "ReadyCheck", "parse_listen"]

log = logging.getLogger("newsbot.http")

PREFIX = "newsbot_"
ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]


class Routes(Protocol):
    """More pages on the same server (``adapters.web.pages.StoryPages``)."""

    def add_routes(self, app: web.Application) -> None: ...


# ------------------------------------------------------------------ Prometheus export


def metric_name(name: str) -> str:
    """A legal Prometheus metric name under the ``newsbot_`` prefix."""
    clean = re.sub(r"[^a-zA-Z0-9_:]", "_", name)
    return clean if clean.startswith(PREFIX) else PREFIX + clean


def label_name(name: str) -> str:
    """A legal label name; names starting with ``__`` are reserved by Prometheus."""
    clean = re.sub(r"[^a-zA-Z0-9_]", "_", name) or "_"
    if clean[0].isdigit() or clean.startswith("__"):
        clean = "l" + clean
    return clean


def _family(kind: Kind, name: str, help_text: str, labels: list[str]) -> Metric:
    documentation = help_text or name
    if kind == "counter":
        return CounterMetricFamily(name, documentation, labels=labels)
    if kind == "summary":
        return SummaryMetricFamily(name, documentation, labels=labels)
    return GaugeMetricFamily(name, documentation, labels=labels)


class NewsbotCollector:
    """A ``prometheus_client`` collector reading ``Metrics.samples()`` at every scrape."""

    def __init__(self, metrics: Metrics, lag: LoopLagMonitor | None = None) -> None:
        self.metrics = metrics
        self.lag = lag

    def collect(self) -> Iterator[Metric]:
        # A failing gauge callback fails the scrape (500, logged by aiohttp): Prometheus then
        # shows the target down instead of silently missing numbers.
        groups: dict[str, list[Sample]] = {}
        for sample in self.metrics.samples():
            groups.setdefault(metric_name(sample.name), []).append(sample)
        for name, samples in groups.items():
            yield self._family_of(name, samples)
        if self.lag is not None:
            yield GaugeMetricFamily(
                metric_name("event_loop_lag_p99_seconds"),
                f"99th percentile of event-loop lag over the last {self.lag.window_s:.0f} s.",
                value=self.lag.p99_s(),
            )
            yield GaugeMetricFamily(
                metric_name("event_loop_lag_max_seconds"),
                f"Worst event-loop lag over the last {self.lag.window_s:.0f} s.",
                value=self.lag.max_s(),
            )

    def _family_of(self, name: str, samples: list[Sample]) -> Metric:
        kind, help_text = samples[0].kind, samples[0].help
        # Two core names can collide once cleaned ("a.b", "a_b"); the first kind wins.
        same = [s for s in samples if s.kind == kind]
        if len(same) < len(samples):
            log.warning("metrics.name_clash name=%s", name)
        # Prometheus wants one label set per family: a missing label is an empty value.
        keys = sorted({label_name(k) for s in same for k, _ in s.labels})
        family = _family(kind, name, help_text, keys)
        for sample in same:
            values = {label_name(k): v for k, v in sample.labels}
            row = [values.get(k, "") for k in keys]
            if isinstance(family, SummaryMetricFamily):
                family.add_metric(row, count_value=sample.count, sum_value=sample.value)
            elif isinstance(family, CounterMetricFamily | GaugeMetricFamily):
                family.add_metric(row, sample.value)
        return family


def build_registry(metrics: Metrics, lag: LoopLagMonitor | None) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(NewsbotCollector(metrics, lag))
    # Memory, CPU and open files of this process; silently empty where /proc is missing.
    ProcessCollector(registry=registry)
    return registry


# ------------------------------------------------------------------ the server


class HealthServer:
    """``/healthz``, ``/readyz`` and ``/metrics`` on ``config.listen``.

    ``start`` and ``stop`` do nothing when the server is turned off (empty ``listen``), so
    the composition root can call them unconditionally.
    """

    def __init__(
        self,
        config: HttpConfig,
        *,
        metrics: Metrics,
        ready: ReadyCheck,
        lag: LoopLagMonitor | None = None,
        pages: Routes | None = None,
    ) -> None:
        self.config = config
        self.pages = pages
        self.metrics = metrics
        self._ready = ready
        self.lag = lag or LoopLagMonitor()
        self.registry = build_registry(metrics, self.lag)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound port (the chosen one when ``listen`` asked for port 0)."""
        if self._port is None:
            raise RuntimeError("the HTTP server is not listening")
        return self._port

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        if self.pages is not None:
            self.pages.add_routes(app)
        return app

    async def start(self) -> None:
        if not self.config.enabled or self._runner is not None:
            return
        host, port = parse_listen(self.config.listen)
        # No access log: a scraper every few seconds would drown the bot's own lines.
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except OSError as err:
            await runner.cleanup()
            raise ConfigError(f"http.listen {self.config.listen!r} cannot be bound: {err}") from err
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self.lag.start()
        log.info("http.listening host=%s port=%d", host, self._port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        self._port = None
        await self.lag.stop()
        if runner is not None:
            await runner.cleanup()

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(self.config.ready_timeout_s):
                checks = dict(await self._ready())
        except TimeoutError:
            return _json(
                503,
                {
                    "ready": False,
                    "error": f"readiness checks took longer than {self.config.ready_timeout_s} s",
                },
            )
        except (NewsbotError, OSError) as err:
            log.warning("http.ready_check_failed error=%r", err)
            return _json(503, {"ready": False, "error": f"{type(err).__name__}: {err}"})
        failing = sorted(name for name, ok in checks.items() if ok is not True)
        body = {"ready": not failing, "failing": failing, "checks": checks}
        return _json(503 if failing else 200, body)

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        body = encoder(self.registry)
        # Content-Type carries version and charset parameters aiohttp's keyword refuses.
        return web.Response(body=body, headers={"Content-Type": content_type})


def _json(status: int, body: dict[str, object]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, sort_keys=True) + "\n", content_type="application/json"
    )

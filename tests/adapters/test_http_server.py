"""The operator HTTP server: /healthz, /readyz, /metrics on 127.0.0.1 with port 0."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.http_server import HealthServer, HttpConfig, metric_name, parse_listen
from adapters.looplag import LoopLagMonitor
from bot.core.config import load_section
from bot.core.errors import ConfigError, StorageError
from bot.core.metrics import Metrics

LOCAL = HttpConfig(listen="127.0.0.1:0")
Checks = Callable[[], Awaitable[dict[str, bool]]]


def checks_of(result: dict[str, bool]) -> Checks:
    async def ready() -> dict[str, bool]:
        return dict(result)

    return ready


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[HealthServer]]]:
    started: list[HealthServer] = []

    async def start(
        *,
        metrics: Metrics | None = None,
        ready: Checks | None = None,
        config: HttpConfig = LOCAL,
        lag: LoopLagMonitor | None = None,
    ) -> HealthServer:
        server = HealthServer(
            config,
            metrics=metrics or Metrics(),
            ready=ready or checks_of({"database": True}),
            lag=lag,
        )
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


async def fetch(
    server: HealthServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}{path}", headers=headers) as resp,
    ):
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


def scrape_values(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


async def test_metrics_exports_counters_gauges_summaries_and_callbacks(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    metrics = Metrics()
    metrics.inc("feeds_polled", help="Feed polls by outcome.", outcome="ok")
    metrics.inc("feeds_polled", outcome="ok")
    metrics.inc("feeds_polled", outcome="not_modified")
    metrics.set("deliveries_pending", 7, help="Deliveries waiting.")
    metrics.observe("parse_seconds", 0.25, help="Feed parse time.")
    metrics.observe("parse_seconds", 0.5)
    depth = [3.0]
    metrics.read_from("queue_age_seconds", lambda: depth[0], help="Oldest queued job.")
    server = await serve(metrics=metrics)

    status, content_type, body = await fetch(server, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    values = scrape_values(body)
    assert values[("newsbot_feeds_polled_total", (("outcome", "ok"),))] == 2
    assert values[("newsbot_feeds_polled_total", (("outcome", "not_modified"),))] == 1
    assert values[("newsbot_deliveries_pending", ())] == 7
    assert values[("newsbot_parse_seconds_count", ())] == 2
    assert values[("newsbot_parse_seconds_sum", ())] == 0.75
    assert values[("newsbot_queue_age_seconds", ())] == 3
    assert "# HELP newsbot_feeds_polled_total Feed polls by outcome." in body
    assert "# TYPE newsbot_parse_seconds summary" in body
    assert ("newsbot_event_loop_lag_p99_seconds", ()) in values
    assert ("newsbot_event_loop_lag_max_seconds", ()) in values

    # Read at scrape time: a later change shows in the next scrape.
    depth[0] = 11.0
    metrics.inc("feeds_polled", outcome="ok")
    values = scrape_values((await fetch(server, "/metrics"))[2])
    assert values[("newsbot_queue_age_seconds", ())] == 11
    assert values[("newsbot_feeds_polled_total", (("outcome", "ok"),))] == 3


async def test_hostile_names_and_label_values_stay_valid_prometheus(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    metrics = Metrics()
    metrics.inc("llm.tokens-used", 120, model="gpt-4o-mini")
    metrics.inc("llm.tokens-used", 5)  # the same metric without the label
    hostile = {"__name__": "x", "9lives": "y", "feed": 'a"b\\c\nd'}
    metrics.inc("errors", 1.0, help="", **hostile)
    server = await serve(metrics=metrics)

    status, _, body = await fetch(server, "/metrics")
    assert status == 200
    values = scrape_values(body)  # the parser refuses malformed exposition
    assert values[("newsbot_llm_tokens_used_total", (("model", "gpt-4o-mini"),))] == 120
    # Prometheus treats an empty label value as the label being absent.
    assert values[("newsbot_llm_tokens_used_total", (("model", ""),))] == 5
    labels = (("feed", 'a"b\\c\nd'), ("l9lives", "y"), ("l__name__", "x"))
    assert values[("newsbot_errors_total", labels)] == 1


async def test_callbacks_export_counters_with_one_label(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    metrics = Metrics()
    fallbacks = {"timeout": 2, "over_budget": 1}
    metrics.read_from(
        "llm_fallbacks", lambda: fallbacks, kind="counter", label="reason", help="By reason."
    )
    metrics.read_from("llm_estimated_cost_usd", lambda: 0.0125, kind="counter")
    server = await serve(metrics=metrics)

    body = (await fetch(server, "/metrics"))[2]
    values = scrape_values(body)
    assert values[("newsbot_llm_fallbacks_total", (("reason", "timeout"),))] == 2
    assert values[("newsbot_llm_fallbacks_total", (("reason", "over_budget"),))] == 1
    assert values[("newsbot_llm_estimated_cost_usd_total", ())] == 0.0125
    assert "# TYPE newsbot_llm_fallbacks_total counter" in body
    fallbacks["server_error"] = 4  # a reason first seen later shows in the next scrape
    values = scrape_values((await fetch(server, "/metrics"))[2])
    assert values[("newsbot_llm_fallbacks_total", (("reason", "server_error"),))] == 4


def test_a_callback_cannot_pose_as_a_summary() -> None:
    with pytest.raises(ValueError, match="observe"):
        Metrics().read_from("parse_seconds", lambda: 1.0, kind="summary")


def test_metric_names_get_the_prefix_once() -> None:
    assert metric_name("stories") == "newsbot_stories"
    assert metric_name("newsbot_stories") == "newsbot_stories"
    assert metric_name("a b/c") == "newsbot_a_b_c"


async def test_metrics_negotiates_openmetrics(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    metrics = Metrics()
    metrics.inc("stories")
    server = await serve(metrics=metrics)
    accept = {"Accept": "application/openmetrics-text; version=1.0.0"}
    status, content_type, body = await fetch(server, "/metrics", accept)
    assert status == 200
    assert content_type.startswith("application/openmetrics-text")
    assert "newsbot_stories_total 1.0" in body
    assert body.endswith("# EOF\n")


async def test_event_loop_lag_shows_a_blocking_stall(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    lag = LoopLagMonitor(interval_s=0.01)
    server = await serve(lag=lag)
    await asyncio.sleep(0.05)
    block_the_loop(0.2)
    await asyncio.sleep(0.05)
    values = scrape_values((await fetch(server, "/metrics"))[2])
    assert values[("newsbot_event_loop_lag_max_seconds", ())] >= 0.15
    assert lag.samples() >= 3


def block_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # on purpose: the stall the monitor must see


def test_loop_lag_window_percentile_and_forgetting() -> None:
    now = [1000.0]
    lag = LoopLagMonitor(interval_s=1.0, window_s=60.0, clock=lambda: now[0])
    assert (lag.max_s(), lag.p99_s()) == (0.0, 0.0)
    for i in range(1, 101):
        lag.record(now[0], i / 1000)
    assert lag.max_s() == pytest.approx(0.1)
    assert lag.p99_s() == pytest.approx(0.099)
    lag.record(now[0], -0.5)  # an early wake-up is no lag, not a negative one
    assert lag.samples() == 101
    now[0] += 61.0
    lag.record(now[0], 0.002)
    assert lag.samples() == 1
    assert lag.max_s() == pytest.approx(0.002)
    now[0] += 61.0
    assert lag.max_s() == 0.0


def test_loop_lag_refuses_nonsense_intervals() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        LoopLagMonitor(interval_s=0)


async def test_healthz_answers_ok(serve: Callable[..., Awaitable[HealthServer]]) -> None:
    server = await serve(ready=checks_of({"database": False}))
    assert await fetch(server, "/healthz") == (200, "text/plain; charset=utf-8", "ok\n")


async def test_readyz_200_when_every_check_passes(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    server = await serve(ready=checks_of({"database": True, "discord": True}))
    status, content_type, body = await fetch(server, "/readyz")
    assert (status, content_type) == (200, "application/json; charset=utf-8")
    assert json.loads(body) == {
        "ready": True,
        "failing": [],
        "checks": {"database": True, "discord": True},
    }


async def test_readyz_503_names_the_failing_checks(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    server = await serve(ready=checks_of({"database": True, "telegram": False, "discord": False}))
    status, _, body = await fetch(server, "/readyz")
    assert status == 503
    assert json.loads(body)["failing"] == ["discord", "telegram"]


async def test_readyz_503_when_a_check_raises(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    async def broken() -> dict[str, bool]:
        raise StorageError("database unreachable")

    server = await serve(ready=broken)
    status, _, body = await fetch(server, "/readyz")
    assert status == 503
    assert json.loads(body) == {
        "ready": False,
        "error": "StorageError: database unreachable",
    }


async def test_readyz_503_when_checks_hang(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    async def hanging() -> dict[str, bool]:
        await asyncio.sleep(30)
        return {"database": True}

    server = await serve(
        ready=hanging, config=HttpConfig(listen="127.0.0.1:0", ready_timeout_s=0.05)
    )
    started = time.monotonic()
    status, _, body = await fetch(server, "/readyz")
    assert status == 503
    assert "longer than 0.05 s" in json.loads(body)["error"]
    assert time.monotonic() - started < 5


async def test_unknown_path_is_404(serve: Callable[..., Awaitable[HealthServer]]) -> None:
    server = await serve()
    assert (await fetch(server, "/admin"))[0] == 404


async def test_stop_closes_the_port_and_the_ticker(
    serve: Callable[..., Awaitable[HealthServer]],
) -> None:
    server = await serve()
    port = server.port
    assert server.lag.running
    await server.stop()
    assert not server.lag.running
    with pytest.raises(RuntimeError, match="not listening"):
        _ = server.port
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://127.0.0.1:{port}/healthz")


async def test_empty_listen_turns_the_server_off() -> None:
    server = HealthServer(HttpConfig(), metrics=Metrics(), ready=checks_of({}))
    await server.start()
    with pytest.raises(RuntimeError):
        _ = server.port
    assert not server.lag.running
    await server.stop()


async def test_a_taken_port_is_a_config_error_naming_the_key() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = HealthServer(
            HttpConfig(listen=f"127.0.0.1:{port}"), metrics=Metrics(), ready=checks_of({})
        )
        with pytest.raises(ConfigError, match=r"http\.listen"):
            await server.start()
    assert not server.lag.running


@pytest.mark.parametrize(
    "listen",
    [
        "localhost",
        "9108",
        ":9108",
        "127.0.0.1:",
        "127.0.0.1:99999",
        "127.0.0.1:-1",
        "127.0.0.1:abc",
        " 127.0.0.1:9108",
        "127.0.0.1:9108 ",
        "http://127.0.0.1:9108",
        "[::1:9108",
        "::1:9108",
        "host:80/metrics",
    ],
)
def test_a_bad_listen_value_names_http_listen(listen: str) -> None:
    with pytest.raises(ConfigError, match=r"http\.listen") as caught:
        load_section({"listen": listen}, HttpConfig, "http")
    assert repr(listen) in str(caught.value)


def test_listen_values_that_parse() -> None:
    assert parse_listen("127.0.0.1:9108") == ("127.0.0.1", 9108)
    assert parse_listen("[::1]:0") == ("::1", 0)
    assert parse_listen("0.0.0.0:65535") == ("0.0.0.0", 65535)  # noqa: S104 - nothing binds
    assert parse_listen("bot.internal:9108") == ("bot.internal", 9108)
    assert not HttpConfig().enabled
    assert HttpConfig(listen="127.0.0.1:9108").enabled


@pytest.mark.parametrize("bad", [0, -1.0, True])
def test_ready_timeout_must_be_positive(bad: float) -> None:
    with pytest.raises(ConfigError, match=r"http\.ready_timeout_s"):
        HttpConfig(ready_timeout_s=bad)

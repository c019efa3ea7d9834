"""Delivery fan-out: 3 stories to 2,000 Discord channels and 2,000 Telegram chats.

The real Dispatcher sends through the real DiscordMessenger (discord.py) and
TelegramMessenger (python-telegram-bot) to two small fake platforms served by a separate
process, so the bot's event loop is measured alone. The fakes enforce the platforms' real
limits on a clock running ``SCALE`` times faster than the wall clock, and the dispatcher runs
with ``RateLimitConfig(scale=SCALE)``:

* Discord: 50 requests/s globally (a 429 with ``global: true`` past it) and 5 messages per
  5 s per channel, announced in ``X-RateLimit-*`` headers as Discord does.
* Telegram: 30 messages/s overall, 1/s per chat and 20/min per group (half the chats).

Printed, one JSON object per line: ``discord_rate_ratio`` and ``telegram_rate_ratio``
(messages per second each platform accepted between its first and last message, divided by
its limit), ``global_429``, ``order_violations`` (a chat got a story before an earlier one),
``lost`` and ``duplicates``. Targets: ratios >= 0.9, everything else 0.

The fake Discord answers ``GET /channels/{id}`` outside the global count: with a gateway
connection discord.py has every guild channel cached and never asks; this fake has no gateway.
Run from the repository root: ``.venv/bin/python benchmarks/bench_delivery.py [--scale K]``
(default 1: the real limits, about 4 minutes; ``--database URL`` runs on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import multiprocessing
import os
import re
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import discord
import telegram
from aiohttp import web
from sqlalchemy import insert
from telegram.request import HTTPXRequest

from adapters.discord.messenger import DiscordMessenger
from adapters.telegram.messenger import TelegramMessenger
from bot.core.clock import SystemClock
from bot.core.domain import NewArticle, Story
from bot.delivery.config import DeliveryConfig
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.ratelimit import RateLimitConfig
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage, open_storage
from storage.models import SubscriptionRow

CHATS = 2000  # per platform
STORIES = 3
DISCORD_TOKEN = "bench-token"  # noqa: S105 - the fake's own token
TELEGRAM_TOKEN = "123456:BENCH"  # noqa: S105
DISCORD_GLOBAL, DISCORD_CHANNEL, DISCORD_CHANNEL_S = 50, 5, 5.0
TELEGRAM_GLOBAL, TELEGRAM_CHAT_S, TELEGRAM_GROUP_PER_MIN = 30, 1.0, 20
STORY_MARK = re.compile(r"benchstory(\d)")
# Discord dedupes a nonce "in the past few minutes" only; the fake forgets it after this
# (on the fakes' scaled clock), so a resend the bot makes later would show as a duplicate.
NONCE_WINDOW_S = 180.0


def discord_channels(chats: int = CHATS) -> list[int]:
    return [10_000 + i for i in range(chats)]


def telegram_chats(chats: int = CHATS) -> list[int]:
    # Half private chats, half groups (negative ids: the per-group window applies too).
    return [20_000 + i if i % 2 else -(30_000 + i) for i in range(chats)]


class Windows:
    """Sliding windows on the fakes' scaled clock."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._sent: dict[Any, deque[float]] = defaultdict(deque)

    def now(self) -> float:
        return time.monotonic() * self.scale

    def wait(self, key: Any, count: int, per_s: float) -> float:
        """Scaled seconds until ``key`` has room (0: record the send now)."""
        now, sent = self.now(), self._sent[key]
        while sent and sent[0] <= now - per_s:
            sent.popleft()
        return sent[0] + per_s - now if len(sent) >= count else 0.0

    def record(self, *keys: Any) -> None:
        now = self.now()
        for key in keys:
            self._sent[key].append(now)


class Platforms:
    """Both fakes and what they accepted: (platform, chat, story index, wall time)."""

    def __init__(self, scale: float, chats: int = CHATS) -> None:
        self.scale = scale
        self.chats = chats
        self.windows = Windows(scale)
        self.accepted: list[tuple[str, int, int, float]] = []
        self.nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self.global_429 = 0
        self.global_429_at: list[tuple[str, float]] = []  # (platform, monotonic time)
        self.chat_429 = 0
        self.ids = iter(range(1_000_000_000, 10**12))

    def app(self) -> web.Application:
        app = web.Application()
        base = "/api/v10"
        app.router.add_get(base + "/users/@me", self.discord_me)
        app.router.add_get(base + "/oauth2/applications/@me", self.discord_app)
        app.router.add_get(base + "/channels/{cid}", self.discord_channel)
        app.router.add_post(base + "/channels/{cid}/messages", self.discord_send)
        app.router.add_post("/bot{token}/{method}", self.telegram)
        return app

    # ------------------------------------------------------------ Discord

    @staticmethod
    def user() -> dict[str, Any]:
        return {"id": "900", "username": "newsbot", "discriminator": "0", "avatar": None,
                "global_name": None, "bot": True, "flags": 0}  # fmt: skip

    async def discord_me(self, request: web.Request) -> web.Response:
        return dc_json(self.user())

    async def discord_app(self, request: web.Request) -> web.Response:
        return dc_json({"id": "901", "name": "newsbot", "description": "", "icon": None,
                                  "bot_public": True, "bot_require_code_grant": False,
                                  "verify_key": "00", "flags": 0, "team": None,
                                  "owner": self.user()})  # fmt: skip

    async def discord_channel(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        return dc_json({"id": cid, "type": 0, "guild_id": "1", "name": f"c{cid}",
                                  "position": 0, "permission_overwrites": [], "nsfw": False,
                                  "flags": 0})  # fmt: skip

    async def discord_send(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        body = await request.json()
        nonce = str(body.get("nonce"))
        seen = self.nonces.get((cid, nonce))
        if body.get("enforce_nonce") and seen and self.windows.now() - seen[0] < NONCE_WINDOW_S:
            return dc_json(seen[1])
        w = self.windows
        wait = w.wait("discord", DISCORD_GLOBAL, 1.0)
        if wait > 0:
            self.global_429 += 1
            self.global_429_at.append(("discord", time.monotonic()))
            retry = wait / self.scale
            return dc_json(
                {"message": "You are being rate limited.", "retry_after": retry, "global": True},
                status=429,
                headers={
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": f"{retry:.3f}",
                    "Via": "1.1 google",
                },
            )
        wait = w.wait(("discord", cid), DISCORD_CHANNEL, DISCORD_CHANNEL_S)
        bucket = {"X-RateLimit-Bucket": f"channel-{cid}", "X-RateLimit-Limit": "5"}
        if wait > 0:
            self.chat_429 += 1
            retry = wait / self.scale
            return dc_json(
                {"message": "You are being rate limited.", "retry_after": retry, "global": False},
                status=429,
                headers={
                    **bucket,
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Scope": "user",
                    "Retry-After": f"{retry:.3f}",
                    "Via": "1.1 google",
                    "X-RateLimit-Reset-After": f"{retry:.3f}",
                },
            )
        w.record("discord", ("discord", cid))
        sent = w._sent[("discord", cid)]
        reset = (sent[0] + DISCORD_CHANNEL_S - w.now()) / self.scale
        self.accept("discord", cid, json.dumps(body))
        msg = {"id": str(next(self.ids)), "channel_id": str(cid), "author": self.user(),
               "content": body.get("content") or "", "embeds": body.get("embeds") or [],
               "components": body.get("components") or [], "timestamp": _iso(),
               "edited_timestamp": None, "tts": False, "mention_everyone": False,
               "mentions": [], "mention_roles": [], "attachments": [], "pinned": False,
               "type": 0, "flags": 0, "nonce": nonce}  # fmt: skip
        self.nonces[(cid, nonce)] = (self.windows.now(), msg)
        headers = {**bucket, "X-RateLimit-Remaining": str(DISCORD_CHANNEL - len(sent)),
                   "X-RateLimit-Reset-After": f"{reset:.3f}",
                   "X-RateLimit-Reset": f"{time.time() + reset:.3f}"}  # fmt: skip
        return dc_json(msg, headers=headers)

    # ------------------------------------------------------------ Telegram

    async def telegram(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params: dict[str, Any] = await request.json()
        else:
            params = dict(await request.post())
        bot = {"id": 7000001, "is_bot": True, "first_name": "News", "username": "newsbot"}
        if method == "getMe":
            return web.json_response({"ok": True, "result": bot})
        if method != "sendMessage":
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found"}, status=404)  # fmt: skip
        chat = int(params["chat_id"])
        w = self.windows
        overall = w.wait("telegram", TELEGRAM_GLOBAL, 1.0)
        wait = max(
            overall,
            w.wait(("telegram", chat), 1, TELEGRAM_CHAT_S),
            w.wait(("group", chat), TELEGRAM_GROUP_PER_MIN, 60.0) if chat < 0 else 0.0,
        )
        if wait > 0:
            # Past the bot-wide limit, or only past this chat's.
            if overall > 0:
                self.global_429 += 1
                self.global_429_at.append(("telegram", time.monotonic()))
            else:
                self.chat_429 += 1
            retry = max(1, math.ceil(wait / self.scale))
            return web.json_response(
                {"ok": False, "error_code": 429, "parameters": {"retry_after": retry},
                 "description": f"Too Many Requests: retry after {retry}"},
                status=429,
            )  # fmt: skip
        w.record("telegram", ("telegram", chat), *([("group", chat)] if chat < 0 else []))
        self.accept("telegram", chat, str(params.get("text", "")))
        kind = "group" if chat < 0 else "private"
        chat_json: dict[str, Any] = {"id": chat, "type": kind}
        chat_json["title" if chat < 0 else "first_name"] = f"Chat {chat}"
        message = {"message_id": next(self.ids), "date": int(time.time()), "chat": chat_json,
                   "from": bot, "text": params.get("text", "")}  # fmt: skip
        return web.json_response({"ok": True, "result": message})

    def accept(self, platform: str, chat: int, text: str) -> None:
        found = STORY_MARK.search(text)
        story = int(found.group(1)) if found else -1
        self.accepted.append((platform, chat, story, time.monotonic()))

    # ------------------------------------------------------------ results

    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {"global_429": self.global_429, "chat_429": self.chat_429}
        first = min((t for *_, t in self.accepted), default=0.0)
        out["global_429_at"] = [(p, round(t - first, 2)) for p, t in self.global_429_at]
        out["first_accepted"] = first  # monotonic: the same clock in every local process
        limits = {"discord": DISCORD_GLOBAL, "telegram": TELEGRAM_GLOBAL}
        expected = {
            "discord": discord_channels(self.chats),
            "telegram": telegram_chats(self.chats),
        }
        order_violations = lost = duplicates = 0
        for platform, limit in limits.items():
            times = [t for p, _, _, t in self.accepted if p == platform]
            span = times[-1] - times[0] if len(times) > 1 else math.inf
            rate = (len(times) - 1) / span
            out[f"{platform}_messages"] = len(times)
            out[f"{platform}_seconds"] = round(span, 2)
            out[f"{platform}_rate_ratio"] = round(rate / (limit * self.scale), 3)
            # Requests that reached the global count: accepted ones and those refused for it.
            tried = times + [t for p, t in self.global_429_at if p == platform]
            out[f"{platform}_window_ratio_max"] = round(
                busiest_window(tried, 1.0 / self.scale) / limit, 3
            )
            per_chat: dict[int, list[int]] = defaultdict(list)
            for p, chat, story, _ in self.accepted:
                if p == platform:
                    per_chat[chat].append(story)
            for chat in expected[platform]:
                got = per_chat.get(chat, [])
                lost += len(set(range(STORIES)) - set(got))
                duplicates += len(got) - len(set(got))
                order_violations += sum(
                    1 for i, s in enumerate(got) if any(later < s for later in got[i + 1 :])
                )
        out.update(order_violations=order_violations, lost=lost, duplicates=duplicates)
        return out


def busiest_window(times: Sequence[float], width_s: float) -> int:
    """The most sends within any ``width_s`` (a sliding window over sorted times)."""
    ordered = sorted(times)
    best = start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= width_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def dc_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json.
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def _iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def serve(scale: float, conn: Connection, chats: int = CHATS) -> None:
    """The fake platforms' process: serve until asked for the results."""

    async def main() -> None:
        platforms = Platforms(scale, chats)
        runner = web.AppRunner(platforms.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)
        conn.send(platforms.results())
        await runner.cleanup()

    asyncio.run(main())


# ---------------------------------------------------------------- the bot side


async def seed(store: SqlStorage, chats: int = CHATS) -> list[Story]:
    """Subscriptions for every chat and three two-outlet stories queued for all of them."""
    now = datetime.now(UTC)
    # Subscriptions arrive from both platforms mixed, as they do in a real deployment.
    rows = []
    for d, t in zip(discord_channels(chats), telegram_chats(chats), strict=True):
        rows += [
            {"platform": "discord", "chat_id": str(d)},
            {"platform": "telegram", "chat_id": str(t)},
        ]

    async def subscribe(s: Any) -> None:
        await s.execute(
            insert(SubscriptionRow),
            [{**r, "thread_id": "", "topic": "floods", "topic_key": "floods",
              "breaking_only": False, "min_outlets": 2, "paused": False, "created_at": now}
             for r in rows],
        )  # fmt: skip

    await store.run(subscribe)
    subs = await store.active_subscriptions()
    stories = []
    for n in range(STORIES):
        articles = await store.add_articles(
            [
                NewArticle(
                    feed_id=(await store.upsert_feed(f"https://{o}.example/rss", o)).id,
                    outlet=o,
                    url=f"https://{o}.example/{n}",
                    guid=None,
                    title=f"Flood update benchstory{n} from {o}",
                    text=f"The river rose again in Marrowby, report {n}. Crews closed roads.",
                    published=now - timedelta(minutes=10 - n),
                    fetched_at=now,
                    content_hash=f"{o}{n}",
                )
                for o in ("herald", "courier")
            ]
        )
        story = Story(
            id=f"bench{n}",
            created_at=now,
            updated_at=now,
            article_ids=tuple(a.id for a in articles),
            outlets=("herald", "courier"),
            headline=articles[0].title,
        )
        await store.save_story(story)
        await store.save_summary(await ExtractiveSummarizer().summarize(story, articles))
        await store.enqueue_deliveries(story, subs, now=now)
        stories.append(story)
    return stories


async def deliver(port: int, url: str, scale: float, config: DeliveryConfig) -> dict[str, Any]:
    store = await open_storage(url)
    await seed(store)
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    client = discord.Client(intents=discord.Intents.none())
    await client.login(DISCORD_TOKEN)
    request = HTTPXRequest(connection_pool_size=64, connect_timeout=5.0, read_timeout=10.0)
    bot = telegram.Bot(TELEGRAM_TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await bot.initialize()
    dispatcher = Dispatcher(
        storage=store,
        messengers={"discord": DiscordMessenger(client), "telegram": TelegramMessenger(bot)},
        clock=SystemClock(),
        config=config,
        rate_limits=RateLimitConfig(scale=scale),
    )
    started = time.monotonic()
    passes = 0
    while True:
        report = await dispatcher.dispatch_once()
        passes += 1
        counts = await store.count_deliveries()
        if not any(counts.get(s) for s in ("pending", "claimed", "sending")):
            break
        if not report.sent:
            await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    await client.close()
    await bot.shutdown()
    await store.close()
    return {"seconds": round(elapsed, 1), "passes": passes, "rows": counts}


async def _postgres(admin_url: str, name: str, *, create: bool) -> str:
    """Create (or drop) a scratch database next to ``admin_url``; returns its URL."""
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - only for PostgreSQL runs
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    parsed = make_url(admin_url)
    conn = await asyncpg.connect(
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        database=parsed.database or "postgres",
        timeout=10,
    )
    try:
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    scratch = parsed.set(drivername="postgresql+asyncpg", database=name)
    return scratch.render_as_string(hide_password=False)


def run(scale: float, config: DeliveryConfig, database: str = "") -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(scale, theirs), daemon=True)
    server.start()
    port = ours.recv()
    if database.startswith("postgresql"):
        name = f"newsbot_bench_{os.getpid()}"
        url = asyncio.run(_postgres(database, name, create=True))
        try:
            bot_side = asyncio.run(deliver(port, url, scale, config))
        finally:
            asyncio.run(_postgres(database, name, create=False))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            bot_side = asyncio.run(deliver(port, url, scale, config))
    ours.send("results")
    platform_side: dict[str, Any] = ours.recv()
    server.join(10)
    failed = sum(n for s, n in bot_side["rows"].items() if s != "sent")
    return {
        "bench": "delivery",
        "database": "postgresql" if database.startswith("postgresql") else "sqlite",
        "scale": scale,
        "chats_per_platform": CHATS,
        "stories": STORIES,
        **platform_side,
        "rows_not_sent": failed,
        **bot_side,
        "config": {"batch_size": config.batch_size, "max_in_flight": config.max_in_flight},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # The platforms' real limits by default (about 4 minutes); --scale 2 halves the time but
    # asks twice the throughput of the bot process, which a 2-core machine cannot give.
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=DeliveryConfig().batch_size)
    parser.add_argument("--max-in-flight", type=int, default=DeliveryConfig().max_in_flight)
    parser.add_argument(
        "--database",
        default=os.environ.get("NEWSBOT_BENCH_DATABASE_URL", ""),
        help="a PostgreSQL URL to run against a scratch database there (default: SQLite)",
    )
    args = parser.parse_args(argv)
    # 429s and retries are counted in the results; their log lines would drown the output.
    logging.getLogger("newsbot").setLevel(logging.ERROR)
    config = DeliveryConfig(batch_size=args.batch_size, max_in_flight=args.max_in_flight)
    print(json.dumps(run(args.scale, config, args.database)), flush=True)


if __name__ == "__main__":
    main()

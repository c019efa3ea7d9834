"""Crash test: the real dispatcher, in its own process, SIGKILLed 50+ times mid-delivery.

Each kill lands at a chosen point (right after a claim, after a row was marked sending,
after the platform accepted a message but before it was recorded, after a row was recorded
with the rest of the pass in flight, after the platform accepted an edit) or at a random
moment from outside. Then a new process takes over. Each wave of new stories also develops
the two waves before it, so posts already shown become edits of living stories. At the
end every (subscription, story) row was handled, and the fake servers show what people
saw: each Discord message exactly once (resends after a crash are deduped by the nonce),
each Telegram message at most once, every Telegram row that is not ``sent`` is
``unconfirmed`` (recorded, never lost silently, never resent), and every post people can
see shows its story's newest version (an edit is simply made again after a crash).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.cards import Action
from bot.core.domain import Destination, Subscription
from storage import SqlStorage, open_storage
from storage.models import DeliveryRow, SubscriptionRow
from tests.delivery.dispatcher_process import ChildConfig, row_of_nonce
from tests.factories import FLOOD, seed_story
from tests.fakes.fake_discord import TOKEN, FakeDiscord
from tests.fakes.fake_telegram import FakeTelegram, Limits

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHANNELS = 6  # per platform
STORIES_PER_WAVE = 4
KILLS = 56  # the spec asks for at least 50
SEED = int(os.environ.get("NEWSBOT_CRASH_SEED", "8"))
# Where a child dies: each hook, and "none" for a kill from outside at a random moment.
MODES = ("claim", "sending", "sent", "edited", "mid", "none")


@dataclass
class Servers:
    discord: FakeDiscord
    telegram: FakeTelegram
    channels: list[int] = field(default_factory=list)
    chats: list[int] = field(default_factory=list)


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    # Per-channel windows a little shorter than the dispatcher's (RateLimitConfig scale 50):
    # the fakes enforce the limits, the dispatcher paces itself inside them.
    discord_fake = FakeDiscord(channel_window_s=0.05)
    telegram_fake = FakeTelegram(
        limits=Limits(per_chat_s=0.01, per_group_per_min=10_000, global_per_s=10_000)
    )
    telegram_fake.real_time = True
    await discord_fake.start()
    await telegram_fake.start()
    world = Servers(discord_fake, telegram_fake)
    guild = discord_fake.add_guild()
    world.channels = [discord_fake.add_channel(guild, f"news{i}") for i in range(CHANNELS)]
    for i in range(CHANNELS):
        telegram_fake.add_chat(7000 + i, "private", title=f"Reader {i}")
        world.chats.append(7000 + i)
    try:
        yield world
    finally:
        await telegram_fake.close()
        await discord_fake.close()


async def subscribe(store: SqlStorage, world: Servers) -> list[Subscription]:
    destinations = [Destination("discord", str(c)) for c in world.channels]
    destinations += [Destination("telegram", str(c)) for c in world.chats]
    return [
        (await store.add_subscription(d, "marrowby", breaking_only=False, min_outlets=2))[0]
        for d in destinations
    ]


async def enqueue_wave(store: SqlStorage, subs: list[Subscription], wave: int) -> int:
    queued = 0
    for i in range(STORIES_PER_WAVE):
        story_id = f"w{wave}s{i}"
        reports = [(o, f"{t} ({story_id})", x) for o, t, x in FLOOD]
        story, _ = await seed_story(store, NOW, story_id, reports)
        queued += await store.enqueue_deliveries(story, subs, now=NOW)
    for earlier in (wave - 1, wave - 2):
        if earlier >= 0:
            await develop(store, earlier)
    return queued


def versioned(headline: str, version: int) -> str:
    """The headline people see, marked with the version it belongs to."""
    return f"{headline.partition(' [v')[0]} [v{version}]"


async def develop(store: SqlStorage, wave: int) -> None:
    """A wave's stories grow a version: shown posts become edits due now."""
    for i in range(STORIES_PER_WAVE):
        story = await store.get_story(f"w{wave}s{i}")
        summary = await store.get_summary(f"w{wave}s{i}")
        assert story is not None
        assert summary is not None
        newer = replace(story, version=story.version + 1)
        await store.save_story(newer)
        headline = versioned(summary.headline, newer.version)
        await store.save_summary(replace(summary, story_version=newer.version, headline=headline))
        await store.enqueue_updates(newer, now=datetime.now(UTC), debounce_s=0)


class Zygote:
    """The forking parent of dispatchers (tests.delivery.dispatcher_process)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    @classmethod
    async def start(cls, config: ChildConfig, stderr: Any) -> Zygote:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.delivery.dispatcher_process",
            json.dumps(asdict(config)),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        return cls(proc)

    async def line(self) -> str:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout=90)
        assert raw, f"the dispatcher parent died; last lines: {self.lines[-5:]}"
        text = raw.decode().strip()
        self.lines.append(text)
        return text

    async def until(self, prefix: str | tuple[str, ...]) -> list[str]:
        """Lines up to and including the first starting with ``prefix``."""
        seen = [await self.line()]
        while not seen[-1].startswith(prefix):
            seen.append(await self.line())
        return seen

    async def run(
        self, mode: str, n: int, kill_after: float | None = None
    ) -> tuple[int, list[str]]:
        """One child: its exit code (-9: killed) and what it said."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {mode} {n}\n".encode())
        await self.proc.stdin.drain()
        pid = int((await self.until("pid"))[-1].split()[1])
        said: list[str] = []
        if kill_after is not None:
            said = await self.until(("ready", "exit"))
            if said[-1].startswith("ready"):
                await asyncio.sleep(kill_after)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if not said or not said[-1].startswith("exit"):
            said += await self.until("exit")
        code = int(said[-1].split()[2])
        return code, said

    async def stop(self) -> None:
        if self.proc.returncode is None and self.proc.stdin is not None:
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
            self.proc.stdin.close()
        await asyncio.wait_for(self.proc.wait(), timeout=10)


async def rows_by_id(store: SqlStorage) -> dict[int, tuple[DeliveryRow, SubscriptionRow]]:
    from sqlalchemy import select  # noqa: PLC0415 - the test reads rows the port doesn't list

    async def work(s: Any) -> dict[int, tuple[DeliveryRow, SubscriptionRow]]:
        result = await s.execute(
            select(DeliveryRow, SubscriptionRow).join(
                SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id
            )
        )
        return {d.id: (d, sub) for d, sub in result.tuples()}

    found: dict[int, tuple[DeliveryRow, SubscriptionRow]] = await store.run(work)
    return found


def telegram_story(message: dict[str, Any]) -> str | None:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            action = Action.decode(button.get("callback_data") or "")
            if action is not None:
                return action.story_id
    return None


async def test_sigkill_at_random_points_loses_and_doubles_nothing(
    database_url: str, servers: Servers, tmp_path: Path
) -> None:
    started = time.monotonic()
    store = await open_storage(database_url)
    rng = random.Random(SEED)
    zygote: Zygote | None = None
    stderr = (tmp_path / "dispatchers.log").open("wb")
    try:
        subs = await subscribe(store, servers)
        wave = 0
        await enqueue_wave(store, subs, wave)
        config = ChildConfig(
            database_url=database_url,
            discord_api=servers.discord.api_base_url,
            discord_token=TOKEN,
            telegram_base=servers.telegram.base_url,
            telegram_token=servers.telegram.token,
            lease_s=0.5,
            batch_size=6,
            max_in_flight=6,
            scale=50.0,
        )
        zygote = await Zygote.start(config, stderr)
        kills: Counter[str] = Counter()
        killed_rows: list[tuple[str, str, int]] = []  # (mode, platform, row id)
        runs = 0
        plan = [mode for mode in MODES for _ in range(KILLS // len(MODES) + 1)]
        rng.shuffle(plan)
        while sum(kills.values()) < KILLS:
            mode = plan.pop() if plan else rng.choice(MODES)
            n = rng.randint(1, 3)
            kill_after = rng.uniform(0.0, 0.25) if mode == "none" else None
            code, said = await zygote.run(mode, n, kill_after)
            runs += 1
            assert not [s for s in said if s.startswith(("errors", "crashed"))], said
            if code == -signal.SIGKILL:
                kills[mode] += 1
                for s in said:
                    if s.startswith("killed"):
                        _, where, platform, row = s.split()
                        killed_rows.append((where, platform, int(row)))
            elif code == 0:
                wave += 1  # the outbox ran dry before the kill: more work for the next ones
                await enqueue_wave(store, subs, wave)
            else:
                pytest.fail(f"dispatcher exited with {code}: {said}")
        code, said = await zygote.run("none", 0)
        assert code == 0, f"the last dispatcher did not drain the outbox: {said}"
        runs += 1
        outcome = await check_delivery(store, servers, killed_rows)
    finally:
        if zygote is not None:
            await zygote.stop()
        stderr.close()
        await store.close()
    outcome.update(
        backend=database_url.split(":", 1)[0],
        kills=sum(kills.values()),
        kills_by_mode=dict(kills),
        dispatcher_runs=runs,
        waves=wave + 1,
        seconds=round(time.monotonic() - started, 1),
    )
    print("crash-test " + json.dumps(outcome, sort_keys=True))
    assert sum(kills.values()) >= 50
    assert all(kills[m] >= 3 for m in MODES), f"every kill point was exercised: {kills}"
    # Only rows in flight when the process died can be unconfirmed: at most one pass's
    # worth per kill, and none for a kill right after a claim (nothing was in flight yet).
    in_flight_kills = sum(kills.values()) - kills["claim"]
    assert 0 < outcome["telegram_unconfirmed"] <= config.max_in_flight * in_flight_kills
    assert outcome["telegram_sent"] > outcome["telegram_unconfirmed"] / 2


async def check_delivery(
    store: SqlStorage, world: Servers, killed_rows: list[tuple[str, str, int]]
) -> dict[str, Any]:
    rows = await rows_by_id(store)
    status = Counter(d.status for d, _ in rows.values())
    assert set(status) <= {"sent", "unconfirmed"}, f"rows left unfinished or failed: {status}"

    latest: dict[str, int] = {}
    for d, _ in rows.values():
        if d.story_id not in latest:
            story = await store.get_story(d.story_id)
            assert story is not None
            latest[d.story_id] = story.version
    edits = sum(1 for d, _ in rows.values() if d.kind == "edit")

    # Discord: every row sent, its message exactly once, under the row's own nonce, and
    # showing the story's newest version.
    discord_rows = {i: (d, s) for i, (d, s) in rows.items() if s.platform == "discord"}
    by_row: Counter[tuple[str, int]] = Counter()
    per_story: Counter[tuple[str, str]] = Counter()
    shown: dict[int, dict[str, Any]] = {}
    for cid in world.channels:
        for msg in world.discord.messages[cid]:
            row_id = row_of_nonce(str(msg["nonce"]))
            by_row[(str(cid), row_id)] += 1
            per_story[(str(cid), rows[row_id][0].story_id)] += 1
            shown[row_id] = msg
    for row_id, (d, s) in discord_rows.items():
        assert d.status == "sent", f"discord row {row_id} is {d.status}"
        assert by_row[(s.chat_id, row_id)] == 1, f"discord row {row_id} posted {by_row}"
        msg = shown[row_id]
        assert d.message_id == msg["id"], "the recorded id is the message people see"
        assert d.shown_version == latest[d.story_id], f"discord row {row_id} is behind"
        if latest[d.story_id] > 1:
            # Embed titles escape Markdown: "\\[v3\\]" reads "[v3]".
            titles = " ".join(str(e.get("title")) for e in msg.get("embeds", []))
            assert f"[v{latest[d.story_id]}]" in titles.replace("\\", ""), titles
    discord_duplicates = sum(n - 1 for n in per_story.values() if n > 1)
    assert discord_duplicates == 0
    assert sum(per_story.values()) == len(discord_rows)

    # Telegram: at most once per (chat, story); every row is sent or unconfirmed.
    telegram_rows = {i: (d, s) for i, (d, s) in rows.items() if s.platform == "telegram"}
    seen: Counter[tuple[str, str | None]] = Counter()
    arrived: dict[tuple[str, str | None], str] = {}
    for msg in world.telegram.sent:
        key = (str(msg["chat"]["id"]), telegram_story(msg))
        seen[key] += 1
        arrived[key] = str(msg["message_id"])
    assert all(story is not None for _, story in seen), "every post names its story"
    telegram_duplicates = sum(n - 1 for n in seen.values() if n > 1)
    assert telegram_duplicates == 0
    sent = unconfirmed = unconfirmed_arrived = 0
    for row_id, (d, s) in telegram_rows.items():
        key = (s.chat_id, d.story_id)
        if d.status == "sent":
            sent += 1
            assert arrived.get(key) == d.message_id, f"telegram row {row_id} has no message"
            assert d.shown_version == latest[d.story_id], f"telegram row {row_id} is behind"
            now_shown = world.telegram.messages[(int(s.chat_id), int(d.message_id or 0))]
            if latest[d.story_id] > 1:
                assert f"[v{latest[d.story_id]}]" in now_shown["text"], "it shows the newest"
        else:
            unconfirmed += 1
            unconfirmed_arrived += key in arrived
            assert d.last_error, "an unconfirmed row says why"
    assert sent + unconfirmed == len(telegram_rows)

    # The rows killed at a known point ended as that point implies.
    resent = 0
    for where, platform, row_id in killed_rows:
        d, s = rows[row_id]
        posts = [
            body
            for method, path, body in world.discord.requests
            if method == "POST" and path.endswith(f"/channels/{s.chat_id}/messages")
            and body and row_of_nonce(str(body.get("nonce"))) == row_id
        ]  # fmt: skip
        if where == "sent" and platform == "discord":
            assert d.status == "sent"
            assert len(posts) >= 2, "it was sent again and the nonce deduped it"
            assert all(b.get("enforce_nonce") for b in posts)
            resent += 1
        elif where == "sent" and platform == "telegram":
            assert d.status == "unconfirmed", "it arrived but was not recorded: never resent"
            assert (s.chat_id, d.story_id) in arrived
        elif where == "sending" and platform == "telegram":
            assert d.status == "unconfirmed", "it may or may not have left: never resent"
        elif where == "edited":
            assert d.status == "sent", "an edit is made again after a crash, not given up"
            assert d.shown_version == latest[d.story_id]
        elif where == "mid":
            assert d.status == "sent"
    return {
        "rows": len(rows),
        "edit_rows": edits,
        "discord_rows": len(discord_rows),
        "discord_duplicates": discord_duplicates,
        "discord_resent_and_deduped": resent,
        "telegram_rows": len(telegram_rows),
        "telegram_sent": sent,
        "telegram_unconfirmed": unconfirmed,
        "telegram_unconfirmed_but_arrived": unconfirmed_arrived,
        "telegram_duplicates": telegram_duplicates,
        "telegram_429": sum(1 for _, code, _ in world.telegram.refusals if code == 429),
    }

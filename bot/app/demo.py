"""The offline demo's script: replay feeds into a real bot and show what a chat would see.

The composition root builds the parts (the replay server, the console messenger, the
storage); this module only runs the show, so it needs no adapter itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from typing import TextIO

from bot.app.ports import DemoStore, Prompt, Replay
from bot.app.runner import Runner
from bot.core.domain import Destination
from bot.delivery.dispatcher import Dispatcher
from bot.feeds.watcher import WatcherConfig
from bot.stories.publishing import StoriesConfig

# Feeds are checked every second or two so the 30-second replay shows stories growing.
DEMO_WATCHER = WatcherConfig(interval_s=2.0, min_interval_s=1.0, max_interval_s=3.0, jitter=0.0)
# The replayed feeds' first items are the demo's news, and living stories update quickly.
DEMO_STORIES = StoriesConfig(post_existing_items=True, update_debounce_s=1.0)
RULE_END = "═" * 72


@dataclasses.dataclass(frozen=True)
class Show:
    """What the demo plays with, built by the composition root."""

    storage: DemoStore
    runner: Runner
    dispatcher: Dispatcher
    replay: Replay
    audience: Destination  # the console "chat" that follows every story
    posted: Callable[[], int]  # how many posts the console has shown
    prompt: Callable[[], Prompt]
    source: str  # what is replayed, in words
    duration_s: float


async def play(show: Show, *, once: bool, out: TextIO, stop: asyncio.Event) -> int:
    """Replay, print posts as they come, then (unless ``once``) open the prompt."""
    for url, name in show.replay.feed_urls():
        await show.storage.upsert_feed(url, name, allow_private=True)
    await show.storage.add_subscription(show.audience, "*", breaking_only=False, min_outlets=2)
    out.write(
        f"newsbot demo: replaying {show.source} as {len(show.replay.feed_urls())} feeds on "
        f"http://127.0.0.1:{show.replay.port}/ for {show.duration_s:.0f} s.\n"
        "Stories reported by two or more outlets are posted below as they would be in a chat.\n"
    )
    out.flush()
    runner_task = asyncio.create_task(show.runner.run(stop))
    while not show.replay.finished() and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
    if not stop.is_set():  # interrupted: stop now, without the last poll and sends
        await final_pass(show)
    if once or stop.is_set():
        stop.set()
        await runner_task
        out.write(f"{RULE_END}\nDemo finished: {show.posted()} stories posted.\n")
        return 0
    out.write(
        f"{RULE_END}\nThe replay is over: {show.posted()} stories posted. "
        "Try /latest, /catchup, /search <words>, /expand <story>, /sources <story>, "
        "/ask <story> <question>, /help; "
        "/quit ends.\n"
    )
    out.flush()
    await show.prompt().run(stop)
    stop.set()
    await runner_task
    return 0


async def final_pass(show: Show, *, drain_s: float = 10.0) -> None:
    """Poll every feed once more after the replay ended, so no late item is missed, then
    let debounced updates of living stories go out."""
    for feed in await show.storage.list_feeds():
        await show.storage.save_feed_state(dataclasses.replace(feed, next_check_at=None))
    await show.runner.cycle()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + drain_s
    while loop.time() < deadline:
        waiting = await show.storage.count_deliveries()
        if not waiting.get("pending") and not waiting.get("claimed"):
            return
        await asyncio.sleep(0.25)
        await show.dispatcher.dispatch_once()

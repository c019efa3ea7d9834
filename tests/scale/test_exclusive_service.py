"""A service that must run in one process at a time follows its lock."""

from __future__ import annotations

import asyncio

from bot.app.exclusive import ExclusiveService


class Lock:
    """A leadership whose answer the test decides."""

    def __init__(self) -> None:
        self.free = True
        self.held = False
        self.releases = 0

    async def try_acquire(self) -> bool:
        self.held = self.held or self.free
        if not self.free:
            self.held = False
        return self.held

    async def release(self) -> None:
        self.held = False
        self.releases += 1


def service(lock: Lock, events: list[str], *, fail_start: bool = False) -> ExclusiveService:
    async def start() -> None:
        if fail_start:
            raise OSError("refused")
        events.append("start")

    async def stop() -> None:
        events.append("stop")

    return ExclusiveService("t", lock, start=start, stop=stop, check_s=0.01)


async def test_runs_only_while_the_lock_is_held() -> None:
    lock, events = Lock(), []
    svc = service(lock, events)
    assert await svc.step()
    assert await svc.step()  # still held: not started twice
    lock.free = False  # the lock's connection died and another process took it
    assert not await svc.step()
    assert events == ["start", "stop"]
    lock.free = True
    assert await svc.step()
    assert events == ["start", "stop", "start"]


async def test_a_failed_start_gives_the_lock_back_and_is_retried() -> None:
    lock, events = Lock(), []
    svc = service(lock, events, fail_start=True)
    assert not await svc.step()
    assert lock.releases == 1
    assert not svc.running


async def test_run_stops_the_service_and_releases_on_stop() -> None:
    lock, events = Lock(), []
    stop = asyncio.Event()
    task = asyncio.create_task(service(lock, events).run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await task
    assert events == ["start", "stop"]
    assert not lock.held

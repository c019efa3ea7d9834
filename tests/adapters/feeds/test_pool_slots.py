"""The parse pool's worker slots: what a story waits for goes before feed parses, and a
cancelled waiter never loses a slot."""

from __future__ import annotations

import asyncio

import pytest

from adapters.feeds.pool import WorkerSlots

URGENT, LATER = 0, 1


async def test_urgent_work_is_served_before_queued_parses_then_in_order() -> None:
    slots = WorkerSlots(1)
    served: list[str] = []
    release = asyncio.Event()

    async def use(name: str, priority: int) -> None:
        async with slots.held(priority):
            served.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(use("first", LATER))
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(use("parse-a", LATER)),
        asyncio.create_task(use("parse-b", LATER)),
        asyncio.create_task(use("summary", URGENT)),
        asyncio.create_task(use("parse-c", LATER)),
    ]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *waiting)
    assert served == ["first", "summary", "parse-a", "parse-b", "parse-c"]


async def test_a_cancelled_waiter_does_not_lose_a_slot() -> None:
    slots = WorkerSlots(1)
    holding = asyncio.Event()
    done = asyncio.Event()

    async def hold() -> None:
        async with slots.held(LATER):
            holding.set()
            await done.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    gone = asyncio.create_task(slots._acquire(URGENT))
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    done.set()
    await holder
    # The slot came back: it can be taken at once, and only once.
    await asyncio.wait_for(slots._acquire(LATER), 1)
    late = asyncio.create_task(slots._acquire(LATER))
    await asyncio.sleep(0.01)
    assert not late.done()
    slots._release()
    await asyncio.wait_for(late, 1)


async def test_a_slot_handed_to_a_waiter_cancelled_meanwhile_passes_to_the_next() -> None:
    slots = WorkerSlots(1)
    await slots._acquire(LATER)
    handed = asyncio.create_task(slots._acquire(LATER))
    after = asyncio.create_task(slots._acquire(LATER))
    await asyncio.sleep(0)
    slots._release()  # the slot goes to ``handed``, which is cancelled before it runs
    handed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handed
    await asyncio.wait_for(after, 1)

"""Group commit: calls waiting while a write runs go together; a bad call fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.domain import Destination
from bot.core.errors import StorageError
from storage import SqlStorage
from storage.coalesce import Coalescer
from tests.factories import new_article, seed_story

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TG = Destination("telegram", "-100123", None)


class Writes:
    """A write that records each batch and refuses negative numbers, all or nothing."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()

    async def write(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await self.release.wait()
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return [i * 10 for i in items]


async def test_calls_made_while_a_write_runs_go_together_in_the_next() -> None:
    writes = Writes()
    coalescer = Coalescer(writes.write, most=10)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.create_task(coalescer.submit(i)) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    writes.release.set()
    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40]
    assert writes.batches == [[1], [2, 3, 4]]


async def test_a_batch_takes_at_most_its_limit() -> None:
    writes = Writes()
    writes.release.set()
    coalescer = Coalescer(writes.write, most=2)
    assert await asyncio.gather(*(coalescer.submit(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert writes.batches == [[0, 1], [2, 3], [4]]


async def test_a_failing_batch_is_retried_one_call_at_a_time_so_only_the_bad_call_fails() -> None:
    writes = Writes()
    writes.release.set()
    coalescer = Coalescer(writes.write, most=10)
    results = await asyncio.gather(
        *(coalescer.submit(i) for i in (1, -1, 2)), return_exceptions=True
    )
    assert results[0] == 10
    assert isinstance(results[1], ValueError)
    assert results[2] == 20
    assert writes.batches == [[1, -1, 2], [1], [-1], [2]]


async def test_a_call_cancelled_before_its_write_starts_is_left_out() -> None:
    writes = Writes()
    coalescer = Coalescer(writes.write, most=10)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gone = asyncio.create_task(coalescer.submit(2))
    kept = asyncio.create_task(coalescer.submit(3))
    await asyncio.sleep(0)
    gone.cancel()
    writes.release.set()
    assert (await first, await kept) == (10, 30)
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert writes.batches == [[1], [3]]
    await coalescer.wait_idle()


async def test_polls_storing_at_once_share_out_a_common_url_to_the_first(
    store: SqlStorage,
) -> None:
    a = await store.upsert_feed("https://a.example/rss", "A")
    b = await store.upsert_feed("https://b.example/rss", "B")
    shared = new_article(a.id, "Wire", "Shared", "X", NOW, slug="shared")
    own_a = new_article(a.id, "A", "Own A", "X", NOW, slug="a")
    own_b = new_article(b.id, "B", "Own B", "X", NOW, slug="b")
    stored_a, stored_b = await asyncio.gather(
        store.add_articles([own_a, shared]),
        store.add_articles([replace(shared, feed_id=b.id), own_b]),
    )
    assert [x.title for x in stored_a] == ["Own A", "Shared"]
    assert [x.title for x in stored_b] == ["Own B"]
    assert {x.feed_id for x in stored_a} == {a.id}


async def test_a_bad_feed_state_saved_with_others_fails_only_itself(store: SqlStorage) -> None:
    feeds = [await store.upsert_feed(f"https://{n}.example/rss", n) for n in "abc"]
    saves = [
        replace(feeds[0], items_seen=1),
        replace(feeds[1], last_success_at=datetime(2026, 1, 1)),  # noqa: DTZ001 - the bad one
        replace(feeds[2], items_seen=3),
    ]
    results = await asyncio.gather(
        *(store.save_feed_state(f) for f in saves), return_exceptions=True
    )
    assert results[0] is None
    assert isinstance(results[1], StorageError)
    assert results[2] is None
    seen = {f.name: f.items_seen for f in await store.list_feeds()}
    assert seen == {"a": 1, "b": 0, "c": 3}


async def test_calls_made_together_share_one_transaction_in_order(store: SqlStorage) -> None:
    sessions: list[tuple[int, object]] = []
    release = asyncio.Event()

    def work(n: int) -> Any:
        async def run(session: object) -> int:
            sessions.append((n, session))
            if n == 0:
                await release.wait()  # the first transaction is under way meanwhile
            return n

        return run

    first = asyncio.create_task(store.run_together(work(0)))
    await asyncio.sleep(0.05)
    rest = [asyncio.create_task(store.run_together(work(n))) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    release.set()
    assert [await first, *await asyncio.gather(*rest)] == [0, 1, 2, 3]
    assert [n for n, _ in sessions] == [0, 1, 2, 3]
    assert len({id(s) for _, s in sessions[1:]}) == 1
    assert sessions[0][1] is not sessions[1][1]


async def test_a_failing_call_among_shared_ones_fails_alone_and_the_rest_commit(
    store: SqlStorage,
) -> None:
    feed = await store.upsert_feed("https://a.example/rss", "A")

    async def broken(_session: object) -> None:
        raise ValueError("bad")

    results = await asyncio.gather(
        store.add_articles([new_article(feed.id, "A", "One", "X", NOW, slug="one")]),
        store.run_together(broken),
        store.get_articles([1, 2]),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    assert isinstance(results[0], list)
    stored = await store.get_articles([a.id for a in results[0]])
    assert [a.title for a in stored] == ["One"]


async def test_stories_read_together_follow_merges_each(store: SqlStorage) -> None:
    first, _ = await seed_story(store, NOW, "aa22")
    second, _ = await seed_story(store, NOW, "bb33")
    await store.save_story(replace(second, merged_into="aa22", article_ids=()))
    found = await asyncio.gather(
        store.get_story("BB33 "), store.get_story("aa22"), store.get_story("zz99")
    )
    assert [s.id if s else None for s in found] == ["aa22", "aa22", None]
    assert found[0] is not None
    assert set(found[0].article_ids) == set(first.article_ids)


async def test_stories_saved_together_point_their_articles_at_them_in_order(
    store: SqlStorage,
) -> None:
    story, _ = await seed_story(store, NOW, "aa22")
    moved = story.article_ids[:1]
    other = replace(story, id="cc44", article_ids=moved, headline="Other")
    await asyncio.gather(
        store.save_story(replace(story, headline="First")),
        store.save_story(other),
        store.save_story(replace(story, headline="Second", article_ids=story.article_ids[1:])),
    )
    kept = await store.get_story("aa22")
    took = await store.get_story("cc44")
    assert kept is not None
    assert took is not None
    assert (kept.headline, kept.article_ids) == ("Second", story.article_ids[1:])
    assert took.article_ids == moved


async def test_summaries_saved_and_read_together_keep_each_story_newest(
    store: SqlStorage,
) -> None:
    a, first_a = await seed_story(store, NOW, "aa22")
    b, first_b = await seed_story(store, NOW, "bb33")
    await asyncio.gather(
        store.save_summary(replace(first_a, story_version=2, headline="A two")),
        store.save_summary(replace(first_b, headline="B again")),
    )
    newest_a, newest_b, none = await asyncio.gather(
        store.get_summary(a.id), store.get_summary(b.id), store.get_summary("zz99")
    )
    assert newest_a is not None
    assert newest_b is not None
    assert (newest_a.story_version, newest_a.headline) == (2, "A two")
    assert (newest_b.story_version, newest_b.headline) == (1, "B again")
    assert none is None


async def test_edits_queued_together_reach_only_the_stories_with_posts(
    store: SqlStorage,
) -> None:
    shown, _ = await seed_story(store, NOW, "aa22")
    quiet, _ = await seed_story(store, NOW, "bb33")
    sub, _ = await store.add_subscription(TG, "x", breaking_only=False, min_outlets=2)
    await store.enqueue_deliveries(shown, [sub], now=NOW)
    for row in await store.claim_deliveries(NOW, 10, owner="a", lease_s=60):
        await store.mark_delivered(row.id, f"m{row.id}", version=1)
    counts = await asyncio.gather(
        store.enqueue_updates(replace(quiet, version=2), now=NOW, debounce_s=0),
        store.enqueue_updates(replace(shown, version=2), now=NOW, debounce_s=0),
    )
    assert counts == [0, 1]
    (edit,) = await store.claim_deliveries(NOW, 10, owner="a", lease_s=60)
    assert (edit.story_id, edit.kind, edit.story_version) == ("aa22", "edit", 2)

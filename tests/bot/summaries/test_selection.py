"""A summary reads a bounded, well-chosen few of a story's articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.clock import FixedClock
from bot.core.domain import Article, Story, Summary
from bot.stories.clustering_config import ClusterConfig
from bot.stories.pipeline import Pipeline
from bot.summaries.extractive import ExtractiveSummarizer
from bot.summaries.selection import POOL_FACTOR, pool_ids, select_articles
from storage import SqlStorage
from tests.factories import FLOOD, new_article

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def article(n: int, outlet: str, title: str, minutes: int) -> Article:
    return Article(
        id=n,
        feed_id=1,
        outlet=outlet,
        url=f"https://{outlet}.example/{n}",
        guid=None,
        title=title,
        text=f"{title}. The council met on Monday and the vote passed by nine to four.",
        published=START + timedelta(minutes=minutes),
        fetched_at=START,
        content_hash=str(n),
    )


def test_a_large_story_is_read_through_at_most_the_limit() -> None:
    articles = [
        article(n, f"outlet{n % 50}", f"Council approves harbour bridge plan {n % 7}", n)
        for n in range(1, 2001)
    ]
    chosen = select_articles(articles, 12)
    assert len(chosen) == 12
    assert chosen == sorted(chosen, key=lambda a: (a.published, a.id))
    ids = {a.id for a in chosen}
    assert 2000 in ids  # the newest report, the one that changed the story
    # The earliest report of several outlets, not twelve copies from one.
    assert len({a.publisher_key for a in chosen}) >= 8
    assert select_articles(articles[:5], 12) == articles[:5]


def test_the_pool_is_the_earliest_and_the_latest_ids() -> None:
    ids = list(range(1, 10_001))
    pool = pool_ids(ids, 12)
    assert len(pool) == 12 * POOL_FACTOR
    assert pool[:3] == [1, 2, 3]
    assert pool[-1] == 10_000
    assert pool_ids(ids[:20], 12) == ids[:20]


WORDS = [
    "reporters",
    "saw",
    "ambulances",
    "boats",
    "volunteers",
    "sandbags",
    "shelters",
    "pumps",
    "engineers",
    "mayor",
    "residents",
    "schools",
    "roads",
    "trains",
    "power",
    "farms",
    "cattle",
    "bakery",
    "church",
    "market",
    "harbour",
]


SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pi"]


def coined(i: int) -> str:
    """A made-up word of its own for every number, so no two reports share these words."""
    return "".join(SYLLABLES[int(d)] for d in f"{i:05d}")


def own_words(n: int, k: int) -> str:
    """A sentence of this outlet's own, so that no report is a copy of another (whatever
    order the wire-copy check meets them in)."""
    picked = [WORDS[(n * 7 + k * 3 + i * 5) % len(WORDS)] for i in range(4)]
    coins = [coined((n * 10 + k) * 6 + i) for i in range(6)]
    return f"Our correspondent {n}-{k} describes {' and '.join(picked + coins)} along the river."


class CountingSummarizer(ExtractiveSummarizer):
    """The extractive summariser, remembering how many articles it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[int] = []

    async def summarize(  # type: ignore[override]
        self, story: Story, articles: list[Article], *, for_post: bool = True
    ) -> Summary:
        self.given.append(len(articles))
        return await super().summarize(story, articles, for_post=for_post)


async def test_a_story_of_600_articles_is_summarised_from_twelve(
    sqlite_store: SqlStorage, clock: FixedClock
) -> None:
    summarizer = CountingSummarizer()
    # Sixty outlets of near-identical texts: which of them confirm each other, and which
    # count as wire copies of which, depends on ties the hash seed breaks. This test is
    # about what the summary reads, so both checks are off and all sixty outlets count.
    pipeline = Pipeline(
        storage=sqlite_store,
        summarizer=summarizer,
        clock=clock,
        clustering=ClusterConfig(corroboration_threshold=0.0, wire_overlap=1.0),
    )
    stored: list[Article] = []
    for n in range(60):
        feed = await sqlite_store.upsert_feed(f"https://o{n}.example/feed", f"Outlet {n}")
        stored += await sqlite_store.add_articles(
            [
                new_article(
                    feed.id,
                    f"Outlet {n}",
                    "River Tessel floods Marrowby as rain continues",
                    f"{FLOOD[(n + k) % 3][2]} {own_words(n, k)}",
                    clock.now() - timedelta(minutes=k),
                    slug=f"{n}-{k}",
                )
                for k in range(10)
            ]
        )
    await pipeline.process(stored)
    stories = await sqlite_store.recent_stories(10)
    big = max(stories, key=lambda s: len(s.article_ids))
    assert len(big.article_ids) >= 200  # one big story, as intended
    # Every outlet counts, so the summary must choose among them.
    assert big.outlet_count == 60
    assert summarizer.given
    assert max(summarizer.given) <= 12

"""A server's own feeds through the real discord.py client on the fake Discord: /addfeed,
/removefeed and /feeds need Manage Channels, act on the server, and a server's feeds
stay out of another server's lists."""

from __future__ import annotations

from bot.core.domain import Destination, NewArticle, Story
from tests.adapters.discord.helpers import NOW, World, seed_story, wait_answered


async def test_feed_commands_are_registered_for_managers(world: World) -> None:
    await world.start_adapter()
    synced = {c["name"]: c for c in world.fake.commands["global"]}
    assert {"addfeed", "removefeed", "feeds"} <= set(synced)
    manage = {n for n, c in synced.items() if c["default_member_permissions"] is not None}
    assert manage == {
        "subscribe",
        "unsubscribe",
        "addfeed",
        "removefeed",
        "feeds",
        "import",
        "export",
    }
    options = {o["name"]: o for o in synced["subscribe"]["options"]}
    assert options["only_ours"]["type"] == 5


async def test_a_member_without_manage_channels_cannot_change_feeds(world: World) -> None:
    await world.start_adapter()
    for name, options in (
        ("addfeed", {"url": "https://example.com/rss"}),
        ("removefeed", {"url": "https://example.com/rss"}),
        ("feeds", {}),
    ):
        inter = await world.fake.slash(world.news, name, options, can_manage=False)
        await wait_answered(inter)
        assert "Only this chat's admins" in inter.response["content"], name
    assert await world.storage.list_feeds() == []


async def test_removefeed_works_on_discord_for_the_servers_own_feed(world: World) -> None:
    scope = f"discord:guild:{world.guild}"
    feed, _ = await world.storage.add_scoped_feed(
        "https://herald.example/rss", "Herald", scope=scope, added_by="discord:1:"
    )
    other, _ = await world.storage.add_scoped_feed(
        "https://ledger.example/rss", "Ledger", scope="discord:guild:999", added_by="x"
    )
    await world.start_adapter()
    listed = await world.fake.slash(world.news, "feeds")
    await wait_answered(listed)
    assert listed.ephemeral
    assert "Herald" in listed.response["content"]
    assert "Ledger" not in listed.response["content"]
    refused = await world.fake.slash(world.news, "removefeed", {"url": other.url})
    await wait_answered(refused)
    assert "This server has no such feed" in refused.response["content"]
    removed = await world.fake.slash(world.news, "removefeed", {"url": feed.url})
    await wait_answered(removed)
    assert "Removed Herald from this server's feeds" in removed.response["content"]
    assert [f.url for f in await world.storage.list_feeds()] == [other.url]


async def test_subscriptions_belong_to_the_server_and_latest_shows_only_what_it_sees(
    world: World,
) -> None:
    await seed_story(world.storage)  # the operator's feeds: every server sees it
    # A story told only by another server's own feeds.
    articles = []
    for outlet in ("p", "q"):
        feed, _ = await world.storage.add_scoped_feed(
            f"https://{outlet}.example/rss", outlet, scope="discord:guild:999", added_by="x"
        )
        articles += await world.storage.add_articles(
            [
                NewArticle(
                    feed_id=feed.id,
                    outlet=outlet,
                    url=f"https://{outlet}.example/secret",
                    guid=None,
                    title="Secret harbour plan revealed",
                    text="A private report about the harbour plan.",
                    published=NOW,
                    fetched_at=NOW,
                    content_hash=f"secret{outlet}",
                )
            ]
        )
    await world.storage.save_story(
        Story(
            id="zz77",
            created_at=NOW,
            updated_at=NOW,
            article_ids=tuple(a.id for a in articles),
            outlets=("p", "q"),
            headline="Secret harbour plan revealed",
        )
    )
    from bot.summaries.extractive import ExtractiveSummarizer  # noqa: PLC0415

    await world.storage.save_summary(
        await ExtractiveSummarizer().summarize(
            (await world.storage.get_story("zz77")) or Story("x", NOW, NOW, (), ()), articles
        )
    )
    await world.start_adapter()
    inter = await world.fake.slash(world.news, "subscribe", {"topic": "iraq", "only_ours": True})
    await wait_answered(inter)
    assert "this chat's own feeds only" in inter.response["content"]
    (sub,) = await world.storage.subscriptions_for(Destination("discord", str(world.news)))
    assert (sub.scope, sub.only_ours) == (f"discord:guild:{world.guild}", True)
    latest = await world.fake.slash(world.news, "latest")
    await wait_answered(latest)
    assert "k7q2" in latest.response["content"]
    assert "zz77" not in latest.response["content"], "another server's story stays there"

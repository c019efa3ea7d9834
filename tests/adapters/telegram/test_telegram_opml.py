"""OPML in a Telegram group through the real PTB adapter on the fake Bot API: an admin's
/import document adds feeds (each through the real probe), a member's is refused, a
hostile file is refused in words, and /export comes back as a file that round-trips."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from adapters.feeds import netguard
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.opml import OpmlCodec, read_opml
from adapters.feeds.parse import parse_feed_bytes
from adapters.feeds.probe import DiscoveringFeedProbe
from adapters.telegram import TelegramAdapter
from bot.commands.router import Commands
from bot.core.domain import ParsedFeed
from bot.summaries.extractive import ExtractiveSummarizer
from tests.adapters.telegram.tg_world import ADA, BOB, GROUP, World
from tests.fakes.feed_server import FeedServer, Route, rss


class InlineParser:
    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        return parse_feed_bytes(body, headers, url)


@pytest.fixture
async def feeds(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FeedServer]:
    table = ((netguard._v4("127.0.0.2/32"), "a private address"),)
    monkeypatch.setattr(netguard, "_V4_REFUSED", table)
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def adapter(world: World, feeds: FeedServer) -> AsyncIterator[TelegramAdapter]:
    fetcher = HttpFeedFetcher(FetchConfig(per_host_gap_s=0))
    commands = Commands(
        storage=world.storage,
        summarizer=ExtractiveSummarizer(),
        clock=world.clock,
        feed_probe=DiscoveringFeedProbe(fetcher, InlineParser()),
        opml=OpmlCodec(),
    )
    running = TelegramAdapter(world.config(), token=world.fake.token, commands=commands)
    await running.start()
    world.adapters.append(running)
    yield running
    await fetcher.close()


def opml(body: str) -> bytes:
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'.encode()


async def test_an_admin_imports_and_exports_a_groups_feeds(
    world: World, adapter: TelegramAdapter, feeds: FeedServer
) -> None:
    url = feeds.add("/rss", Route(rss([("One", "https://h.example/1")], title="Herald")))
    data = opml(
        f'<outline text="Local"><outline type="rss" text="My Herald" xmlUrl="{url}" '
        'htmlUrl="https://herald.example/"/></outline>'
    )
    world.fake.user_document(GROUP, BOB, data, "mine.opml", caption="/import")
    await world.fake.wait_for(lambda: world.fake.sent_to(GROUP))
    assert "Only this chat's admins" in world.fake.sent_to(GROUP)[0]["text"]
    assert await world.storage.list_feeds() == []
    world.fake.advance(60)
    world.fake.user_document(GROUP, ADA, data, "mine.opml", caption="/import@newsbot")
    await world.fake.wait_for(lambda: len(world.fake.sent_to(GROUP)) == 2)
    assert "Imported mine.opml: 1 added, 0 skipped." in world.fake.sent_to(GROUP)[1]["text"]
    (feed,) = await world.storage.list_feeds()
    assert feed.scopes == {f"telegram:{GROUP}"}
    world.fake.advance(60)
    world.fake.user_message(GROUP, ADA, "/export")
    await world.fake.wait_for(lambda: len(world.fake.sent_to(GROUP)) == 3)
    document = world.fake.sent_to(GROUP)[2]["document"]
    assert document["file_name"] == "newsbot-feeds.opml"
    (entry,) = read_opml(world.fake.files[document["file_id"]])
    assert (entry.url, entry.title, entry.html_url, entry.category) == (
        url,
        "My Herald",
        "https://herald.example/",
        "Local",
    )


async def test_a_hostile_file_is_refused_in_words(world: World, adapter: TelegramAdapter) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<opml version="2.0"><body><outline xmlUrl="&lol2;"/></body></opml>'
    )
    world.fake.user_document(ADA, ADA, bomb, "bomb.opml", caption="/import")
    await world.fake.wait_for(lambda: world.fake.sent_to(ADA))
    assert "DOCTYPE or entities" in world.fake.sent_to(ADA)[0]["text"]
    assert await world.storage.list_feeds() == []

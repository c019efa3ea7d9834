"""OPML on Discord through discord.py on the fake Discord: /import with an attached file
(each feed through the real probe), refused for members and hostile files, and /export
as a file that round-trips."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from adapters.discord import DiscordAdapter
from adapters.feeds import netguard
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.opml import OpmlCodec, read_opml
from adapters.feeds.parse import parse_feed_bytes
from adapters.feeds.probe import DiscoveringFeedProbe
from bot.commands.router import Commands
from bot.core.domain import ParsedFeed
from bot.summaries.extractive import ExtractiveSummarizer
from tests.adapters.discord.helpers import World, wait_answered
from tests.fakes.fake_discord import TOKEN
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
async def adapter(world: World, feeds: FeedServer) -> AsyncIterator[DiscordAdapter]:
    fetcher = HttpFeedFetcher(FetchConfig(per_host_gap_s=0))
    commands = Commands(
        storage=world.storage,
        summarizer=ExtractiveSummarizer(),
        clock=world.clock,
        feed_probe=DiscoveringFeedProbe(fetcher, InlineParser()),
        opml=OpmlCodec(),
    )
    running = DiscordAdapter(
        world.config(), token=TOKEN, commands=commands, on_handler_error=world.errors.append
    )
    await running.start()
    world.adapters.append(running)
    yield running
    await world.stop_adapter(running)
    await fetcher.close()


async def test_import_an_attachment_and_export_a_file(
    world: World, adapter: DiscordAdapter, feeds: FeedServer
) -> None:
    url = feeds.add("/rss", Route(rss([("One", "https://h.example/1")], title="Herald")))
    data = (
        '<opml version="2.0"><head/><body><outline text="World">'
        f'<outline type="rss" text="My Herald" xmlUrl="{url}" htmlUrl="https://h.example/"/>'
        "</outline></body></opml>"
    ).encode()
    upload = world.fake.add_attachment(data, "mine.opml")
    refused = await world.fake.slash(world.news, "import", {"file": upload}, can_manage=False)
    await wait_answered(refused)
    assert "Only this chat's admins" in refused.response["content"]
    assert feeds.requests.get("/rss", 0) == 0
    imported = await world.fake.slash(world.news, "import", {"file": upload})
    await wait_answered(imported)
    assert "Imported mine.opml: 1 added, 0 skipped." in imported.response["content"]
    (feed,) = await world.storage.list_feeds()
    assert feed.scopes == {f"discord:guild:{world.guild}"}
    exported = await world.fake.slash(world.news, "export")
    await wait_answered(exported)
    assert exported.ephemeral
    ((name, body),) = exported.callbacks[0]["_files"]
    assert name == "newsbot-feeds.opml"
    (entry,) = read_opml(body)
    assert (entry.url, entry.title, entry.html_url, entry.category) == (
        url,
        "My Herald",
        "https://h.example/",
        "World",
    )


async def test_a_hostile_attachment_is_refused(world: World, adapter: DiscordAdapter) -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<opml version="2.0"><body><outline xmlUrl="&xxe;"/></body></opml>'
    )
    upload = world.fake.add_attachment(xxe, "evil.opml")
    inter = await world.fake.slash(world.news, "import", {"file": upload})
    await wait_answered(inter)
    assert "DOCTYPE or entities" in inter.response["content"]
    assert await world.storage.list_feeds() == []

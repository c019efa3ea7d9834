"""/addfeed, /removefeed, /feeds, /import and /export on a chat's scope, through the real
probe (address guard and autodiscovery) against a local feed server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from adapters.feeds import netguard
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.opml import OpmlCodec, read_opml
from adapters.feeds.parse import parse_feed_bytes
from adapters.feeds.probe import DiscoveringFeedProbe
from bot.commands.limits import LimitsConfig
from bot.commands.router import Commands, Invocation
from bot.core.clock import FixedClock
from bot.core.domain import OPERATOR_SCOPE, Destination, ParsedFeed
from bot.summaries.extractive import ExtractiveSummarizer
from storage import SqlStorage
from tests.fakes.feed_server import FeedServer, Route, rss

ADMIN_A = Invocation(Destination("discord", "11"), "1", can_manage=True, scope="discord:guild:1")
MEMBER_A = Invocation(Destination("discord", "11"), "2", can_manage=False, scope="discord:guild:1")
ADMIN_B = Invocation(Destination("discord", "21"), "3", can_manage=True, scope="discord:guild:2")


class InlineParser:
    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        return parse_feed_bytes(body, headers, url)


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FeedServer]:
    # The local server stands for the internet: 127.0.0.1 is let through, and
    # 127.0.0.2 plays a private address that must stay refused.
    table = ((netguard._v4("127.0.0.2/32"), "a private address"),)
    monkeypatch.setattr(netguard, "_V4_REFUSED", table)
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def commands(
    server: FeedServer, sqlite_store: SqlStorage, clock: FixedClock
) -> AsyncIterator[Commands]:
    fetcher = HttpFeedFetcher(FetchConfig(per_host_gap_s=0))
    yield Commands(
        storage=sqlite_store,
        summarizer=ExtractiveSummarizer(),
        clock=clock,
        feed_probe=DiscoveringFeedProbe(fetcher, InlineParser()),
        limits=LimitsConfig(feeds_per_scope=2),
        opml=OpmlCodec(),
    )
    await fetcher.close()


def add_feed(server: FeedServer, name: str) -> str:
    return server.add(
        f"/{name}.xml", Route(rss([("One", f"https://{name}.example/1")], title=name))
    )


async def test_non_admins_cannot_add_remove_or_list_feeds(
    commands: Commands, server: FeedServer
) -> None:
    url = add_feed(server, "herald")
    for line in (f"/addfeed {url}", f"/removefeed {url}", "/feeds", "/import", "/export"):
        answer = (await commands.run(MEMBER_A, line)).plain_text()
        assert "Only this chat's admins" in answer, line
    assert await commands.storage.list_feeds() == []
    assert server.requests.get("/herald.xml", 0) == 0


async def test_an_admins_feed_belongs_to_the_server_and_counts_against_its_quota(
    commands: Commands, server: FeedServer
) -> None:
    one, two, three = (add_feed(server, n) for n in ("herald", "courier", "ledger"))
    assert "Added herald" in (await commands.run(ADMIN_A, f"/addfeed {one}")).plain_text()
    assert "Added courier" in (await commands.run(ADMIN_A, f"/addfeed {two}")).plain_text()
    refused = (await commands.run(ADMIN_A, f"/addfeed {three}")).plain_text()
    assert "the most this bot allows (2)" in refused
    # Another server has its own quota, and the same feed is polled once for both.
    assert "Added herald" in (await commands.run(ADMIN_B, f"/addfeed {one}")).plain_text()
    feeds = {f.url: f for f in await commands.storage.list_feeds()}
    assert feeds[one].scopes == {"discord:guild:1", "discord:guild:2"}
    assert feeds[two].scopes == {"discord:guild:1"}
    listed = (await commands.run(ADMIN_B, "/feeds")).plain_text()
    assert "herald" in listed
    assert "courier" not in listed, "server A's feeds are not server B's business"


async def test_removefeed_takes_the_feed_from_this_server_only(
    commands: Commands, server: FeedServer
) -> None:
    url = add_feed(server, "herald")
    await commands.run(ADMIN_A, f"/addfeed {url}")
    await commands.run(ADMIN_B, f"/addfeed {url}")
    removed = (await commands.run(ADMIN_A, f"/removefeed {url}")).plain_text()
    assert "Removed herald from this server's feeds" in removed
    (feed,) = await commands.storage.list_feeds()
    assert feed.scopes == {"discord:guild:2"}
    again = (await commands.run(ADMIN_A, f"/removefeed {url}")).plain_text()
    assert "This server has no such feed" in again


async def test_the_operators_feeds_cannot_be_removed_from_chat(commands: Commands) -> None:
    feed = await commands.storage.upsert_feed("https://wire.example/rss", "Wire")
    assert feed.scopes == {OPERATOR_SCOPE}
    answer = (await commands.run(ADMIN_A, f"/removefeed {feed.url}")).plain_text()
    assert "one of the bot operator's feeds" in answer
    assert "--only-ours" in answer
    listed = (await commands.run(ADMIN_A, "/feeds")).plain_text()
    assert "Plus the operator's 1 feed" in listed


async def test_a_private_address_is_refused(commands: Commands) -> None:
    async with FeedServer("127.0.0.2") as private:
        url = private.add("/secret.xml", Route(rss([("S", "https://s.example/1")])))
        answer = (await commands.run(ADMIN_A, f"/addfeed {url}")).plain_text()
        assert "I couldn't add that feed" in answer
        assert private.requests.get("/secret.xml", 0) == 0
    assert await commands.storage.list_feeds() == []


async def imported(commands: Commands, inv: Invocation, data: bytes, name: str = "") -> str:
    """An upload, as the adapters hand it over: refusals are answers, not exceptions."""
    return (
        await commands.guarded("import", inv, commands.import_feeds(inv, data, name))
    ).plain_text()


def opml(*outlines: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<opml version="2.0">'
        f"<head><title>Mine</title></head><body>{''.join(outlines)}</body></opml>"
    ).encode()


async def test_opml_import_adds_through_the_guard_and_says_what_it_skipped(
    commands: Commands, server: FeedServer
) -> None:
    one, two = add_feed(server, "herald"), add_feed(server, "courier")
    async with FeedServer("127.0.0.2") as private:
        secret = private.add("/secret.xml", Route(rss([("S", "https://s.example/1")])))
        data = opml(
            '<outline text="News" title="News">'
            f'<outline type="rss" text="Herald" xmlUrl="{one}" htmlUrl="https://herald.example/"/>'
            '<outline text="World">'
            f'<outline type="rss" text="Secret" xmlUrl="{secret}"/>'
            "</outline></outline>"
            '<outline type="rss" text="Not a url" xmlUrl="javascript:alert(1)"/>'
            f'<outline type="rss" text="Courier" xmlUrl="{two}"/>'
            f'<outline type="rss" text="Third" xmlUrl="{add_feed(server, "ledger")}"/>'
        )
        answer = await imported(commands, ADMIN_A, data, "mine.opml")
        assert private.requests.get("/secret.xml", 0) == 0
    assert "Imported mine.opml: 2 added, 3 skipped." in answer
    assert "+ Herald" in answer
    assert "+ Courier" in answer
    assert f"- {secret}: " in answer
    assert "- javascript:alert(1): only http:// and https://" in answer
    assert "feed limit is reached" in answer
    feeds = {f.url: f for f in await commands.storage.list_feeds()}
    assert feeds[one].name == "Herald"
    assert feeds[one].html_url == "https://herald.example/"
    assert feeds[one].category_in("discord:guild:1") == "News"


async def test_export_round_trips_through_import(commands: Commands, server: FeedServer) -> None:
    one = add_feed(server, "herald")
    data = opml(
        '<outline text="News"><outline text="Europe">'
        f'<outline type="rss" text="My Herald" xmlUrl="{one}" htmlUrl="https://h.example/"/>'
        "</outline></outline>"
    )
    await imported(commands, ADMIN_A, data)
    answer, exported = await commands.export_feeds(ADMIN_A)
    assert exported is not None
    assert "1 feed, as OPML" in answer.plain_text()
    (entry,) = read_opml(exported)
    assert (entry.url, entry.title, entry.html_url, entry.category) == (
        one,
        "My Herald",
        "https://h.example/",
        "News/Europe",
    )
    # Server B imports A's export and gets the same feed, in the same folder.
    text = await imported(commands, ADMIN_B, exported)
    assert "1 added" in text
    (feed,) = await commands.storage.list_feeds()
    assert feed.category_in("discord:guild:2") == "News/Europe"
    empty, nothing = await commands.export_feeds(
        Invocation(Destination("telegram", "5"), "5", can_manage=True, is_private=True)
    )
    assert nothing is None
    assert "no feeds of its own" in empty.plain_text()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            opml(
                '<outline xmlUrl="&lol;"/>',
                doctype='<!DOCTYPE opml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>',
            ),
            "DOCTYPE or entities",
        ),
        (
            opml(
                '<outline xmlUrl="&xxe;"/>',
                doctype='<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            ),
            "DOCTYPE or entities",
        ),
        (b"<opml><body>" + b"<outline>" * 40 + b"</outline>" * 40 + b"</body></opml>", "nested"),
        (b"x" * 1_000_001, "too big"),
        (b"<html><body/></html>", "not an OPML file"),
        (b"<opml><body><outline", "not well-formed"),
        (opml('<outline text="folder only"/>'), "lists no feeds"),
    ],
)
async def test_hostile_or_broken_opml_is_refused_in_words(
    commands: Commands, data: bytes, reason: str
) -> None:
    answer = await imported(commands, ADMIN_A, data, "x.opml")
    assert reason in answer
    assert await commands.storage.list_feeds() == []

"""``newsbot feeds ...``: the operator's feed actions on real storage and the real probe."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from adapters.feeds import netguard
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.opml import OpmlCodec, read_opml
from adapters.feeds.parse import parse_feed_bytes
from adapters.feeds.probe import DiscoveringFeedProbe
from bot.app.cli import build_parser
from bot.app.feeds_cli import FeedTools, manage_feeds
from bot.core.domain import ParsedFeed
from bot.core.errors import CommandError
from storage import SqlStorage
from tests.fakes.feed_server import FeedServer, Route, rss


class InlineParser:
    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        return parse_feed_bytes(body, headers, url)


@pytest.fixture
async def tools(
    sqlite_store: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FeedTools, FeedServer]]:
    table = ((netguard._v4("127.0.0.2/32"), "a private address"),)
    monkeypatch.setattr(netguard, "_V4_REFUSED", table)
    fetcher = HttpFeedFetcher(FetchConfig(per_host_gap_s=0))
    async with FeedServer() as server:
        yield (
            FeedTools(sqlite_store, DiscoveringFeedProbe(fetcher, InlineParser()), OpmlCodec()),
            server,
        )
    await fetcher.close()


async def feeds(tools: FeedTools, *argv: str) -> int:
    return await manage_feeds(build_parser().parse_args(["feeds", *argv]), tools)


async def test_add_disable_enable_remove_and_list(
    tools: tuple[FeedTools, FeedServer], capsys: pytest.CaptureFixture[str]
) -> None:
    tool, server = tools
    url = server.add("/rss", Route(rss([("One", "https://a.example/1")], title="Herald")))
    assert await feeds(tool, "add", url) == 0
    assert await feeds(tool, "add", url, "--scope", "discord:guild:7", "--name", "H") == 0
    assert await feeds(tool, "disable", url) == 0
    capsys.readouterr()
    assert await feeds(tool, "list", "--scope", "discord:guild:7") == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["scopes"] == ["discord:guild:7", "operator"]
    assert (record["enabled"], record["disabled_by"]) == (False, "operator")
    assert await feeds(tool, "enable", url) == 0
    assert await feeds(tool, "remove", url) == 0
    (feed,) = await tool.store.list_feeds()
    assert (feed.enabled, feed.scopes) == (True, {"discord:guild:7"})
    with pytest.raises(CommandError, match="not a feed of operator"):
        await feeds(tool, "remove", url)
    with pytest.raises(CommandError, match="no feed has the address"):
        await feeds(tool, "disable", "https://nowhere.example/rss")


async def test_import_and_export_an_opml_file(
    tools: tuple[FeedTools, FeedServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tool, server = tools
    url = server.add("/rss", Route(rss([("One", "https://a.example/1")], title="Herald")))
    source = tmp_path / "in.opml"
    source.write_text(
        '<opml version="2.0"><head/><body><outline text="Local">'
        f'<outline type="rss" text="Herald" xmlUrl="{url}" htmlUrl="https://herald.example/"/>'
        '</outline><outline type="rss" text="Bad" xmlUrl="ftp://x.example/rss"/></body></opml>'
    )
    assert await feeds(tool, "import", str(source)) == 0
    printed = capsys.readouterr().out
    assert "1 added, 1 skipped" in printed
    assert "ftp://x.example/rss" in printed
    out = tmp_path / "out.opml"
    assert await feeds(tool, "export", "--out", str(out)) == 0
    (entry,) = read_opml(out.read_bytes())
    assert (entry.url, entry.title, entry.html_url, entry.category) == (
        url,
        "Herald",
        "https://herald.example/",
        "Local",
    )

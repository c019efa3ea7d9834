"""``newsbot feeds ...``: the operator's feeds, and any community's, from the shell.

``--scope`` names whose feeds: ``operator`` (the default; they serve every chat),
``discord:guild:<id>``, ``telegram:<chat id>`` or ``console:<id>``. Feeds added here go
through the same address guard and autodiscovery as ``/addfeed``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.app.ports import OperatorStore
from bot.commands.feeds import check_address, import_opml, opml_entry, read_file
from bot.commands.ports import FeedProbe, OpmlCodec, OpmlFeed
from bot.core.config import Config
from bot.core.domain import OPERATOR_SCOPE, Feed
from bot.core.errors import CommandError, ConfigError, FeedError, NewsbotError

CLI_ADDED_BY = "cli"


def add_feeds_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    feeds = sub.add_parser("feeds", help="feeds: list, add, remove, disable, import, export")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")

    def scoped(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument(
            "--scope",
            default=OPERATOR_SCOPE,
            help="whose feeds: operator (default), discord:guild:ID, telegram:CHAT_ID",
        )
        return parser

    listing = actions.add_parser("list", help="each feed's scopes and state")
    listing.add_argument("--scope", help="only the feeds of this scope")
    add = scoped(actions.add_parser("add", help="add a feed (its site's feed is found)"))
    add.add_argument("url")
    add.add_argument("--name", help="the outlet's name (default: the feed's title)")
    remove = scoped(actions.add_parser("remove", help="take a feed from a scope"))
    remove.add_argument("url")
    for name, text in (("disable", "stop polling a feed"), ("enable", "poll a feed again")):
        actions.add_parser(name, help=text).add_argument("url")
    imported = scoped(actions.add_parser("import", help="add the feeds of an OPML file"))
    imported.add_argument("file", type=Path)
    exported = scoped(actions.add_parser("export", help="a scope's feeds as OPML 2.0"))
    exported.add_argument("--out", type=Path, help="write to this file instead of stdout")


@dataclass
class FeedTools:
    store: OperatorStore
    probe: FeedProbe
    codec: OpmlCodec


@contextlib.asynccontextmanager
async def feed_tools(config: Config) -> AsyncIterator[FeedTools]:
    """Storage, the probe and OPML, closed on exit."""
    # The composition root's adapters, imported late: `newsbot --help` stays fast.
    from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher  # noqa: PLC0415
    from adapters.feeds.opml import OpmlCodec as Codec  # noqa: PLC0415
    from adapters.feeds.parse import FeedparserParser  # noqa: PLC0415
    from adapters.feeds.pool import PoolConfig  # noqa: PLC0415
    from adapters.feeds.probe import DiscoveringFeedProbe  # noqa: PLC0415
    from storage import open_storage  # noqa: PLC0415

    storage = await open_storage(config.database.url)
    fetcher = HttpFeedFetcher(config.section("fetch", FetchConfig))
    parser = FeedparserParser(config.section("parse", PoolConfig))
    try:
        yield FeedTools(storage, DiscoveringFeedProbe(fetcher, parser), Codec())
    finally:
        await parser.close()
        await fetcher.close()
        await storage.close()


async def run_feeds(args: argparse.Namespace, config: Config) -> int:
    async with feed_tools(config) as tools:
        try:
            return await manage_feeds(args, tools)
        except CommandError as err:
            print(f"newsbot: {err}", file=sys.stderr)
            return 1


async def manage_feeds(args: argparse.Namespace, tools: FeedTools) -> int:
    """One ``newsbot feeds`` action; prints what it did."""
    action = args.feeds_command
    store = tools.store
    if action == "list":
        for feed in await store.list_feeds():
            if args.scope is None or args.scope in feed.scopes:
                print(json.dumps(feed_record(feed), ensure_ascii=False))
        return 0
    if action == "add":
        url = check_address(args.url)
        try:
            feed_url, title = await tools.probe.probe(url)
        except FeedError as err:
            raise CommandError(f"can't add {url}: {err}") from err
        feed, added = await store.add_scoped_feed(
            feed_url, args.name or title, scope=args.scope, added_by=CLI_ADDED_BY
        )
        print(f"{'added' if added else 'already there'}: {feed.name} {feed.url} ({args.scope})")
        return 0
    if action == "import":
        return await _import(args, tools)
    if action == "export":
        return await _export(args, tools)
    feed = await _find(store, args.url)
    if action == "remove":
        if not await store.unlink_feed(feed.id, args.scope):
            raise CommandError(f"{feed.url} is not a feed of {args.scope}")
        print(f"removed from {args.scope}: {feed.url}")
    else:
        await store.set_feed_enabled(feed.id, action == "enable")
        print(f"{action}d: {feed.url}")
    return 0


async def _find(store: OperatorStore, url: str) -> Feed:
    for feed in await store.list_feeds():
        if url in (feed.url, str(feed.id)):
            return feed
    raise CommandError(f"no feed has the address {url} (`newsbot feeds list` shows them)")


async def _import(args: argparse.Namespace, tools: FeedTools) -> int:
    path: Path = args.file
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as err:
        raise ConfigError(f"{path} cannot be read: {err}") from err
    entries = read_file(tools.codec, data)

    async def add(url: str, name: str, entry: OpmlFeed) -> tuple[Feed, bool]:
        return await tools.store.add_scoped_feed(
            url,
            name,
            scope=args.scope,
            added_by=CLI_ADDED_BY,
            html_url=entry.html_url,
            category=entry.category,
        )

    # The operator has no quota.
    report = await import_opml(entries, probe=tools.probe, room=len(entries), add=add)
    for line in report.lines(str(path)):
        print(line if isinstance(line, str) else "".join(part.text for part in line))
    return 0 if report.added or not report.skipped else 1


async def _export(args: argparse.Namespace, tools: FeedTools) -> int:
    feeds = [f for f in await tools.store.list_feeds() if args.scope in f.scopes]
    data = tools.codec.write(
        [opml_entry(f, args.scope) for f in feeds], f"newsbot feeds of {args.scope}"
    )
    if args.out is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        try:
            await asyncio.to_thread(args.out.write_bytes, data)
        except OSError as err:
            raise NewsbotError(f"--out {args.out} cannot be written: {err}") from err
        print(f"wrote {len(feeds)} feeds to {args.out}")
    return 0


def feed_record(feed: Feed) -> dict[str, object]:
    return {
        "url": feed.url,
        "name": feed.name,
        "scopes": sorted(feed.scopes),
        "enabled": feed.enabled,
        "disabled_by": feed.disabled_by,
        "health": feed.health,
        "failing_since": feed.failing_since.isoformat() if feed.failing_since else None,
        "last_success": feed.last_success_at.isoformat() if feed.last_success_at else None,
        "last_error": feed.last_error,
        "next_check": feed.next_check_at.isoformat() if feed.next_check_at else None,
        "items_seen": feed.items_seen,
    }

"""The ``newsbot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app.config import load_config
from bot.app.feeds_cli import add_feeds_parser
from bot.core.config import Config
from bot.core.errors import ConfigError, NewsbotError

if TYPE_CHECKING:
    from bot.app.ports import OperatorStore
    from bot.core.ports import Clock

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Reads the news for people: one grounded, cited post per story.",
    )
    parser.add_argument("--config", help="the TOML configuration file (or NEWSBOT_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the bot with every enabled adapter")

    demo = sub.add_parser("demo", help="the real bot, offline, on a local replay of news feeds")
    demo.add_argument("--once", action="store_true", help="process the whole replay, print, exit")
    demo.add_argument("--feeds", type=Path, help="replay this folder of feed files instead")
    demo.add_argument("--duration", type=float, default=30.0, help="replay length in seconds")

    sub.add_parser("chat", help="type commands to the bot in this terminal (or pipe them)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations up to the newest schema")

    add_feeds_parser(sub)

    deliveries = sub.add_parser("deliveries", help="the outbox: counts, dead letters, retries")
    deliveries.add_argument("--failed", action="store_true", help="list dead letters and why")
    deliveries.add_argument(
        "--unconfirmed",
        action="store_true",
        help="list (or with --retry, queue again) sends that may or may not have arrived",
    )
    deliveries.add_argument(
        "--retry", nargs="*", type=int, metavar="ID", help="queue dead letters again (all if no ID)"
    )

    evaluate = sub.add_parser("eval", help="measure the bot on evaluation data")
    eval_sub = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    clustering = eval_sub.add_parser("clustering", help="story clustering on a JSONL stream")
    clustering.add_argument("file", type=Path)
    summaries = eval_sub.add_parser("summaries", help="summaries against editors' summaries")
    summaries.add_argument("file", type=Path)
    summaries.add_argument("--out", type=Path, help="write each rendered summary as JSON lines")
    summaries.add_argument(
        "--translate-to",
        metavar="LANG",
        help="also translate each summary (LLM summariser) and report the share kept",
    )
    feeds_eval = eval_sub.add_parser("feeds", help="the parse path on a folder of feed files")
    feeds_eval.add_argument("directory", type=Path)
    stream = eval_sub.add_parser(
        "stream", help="replay a folder of feed files through the bot: one JSON line per story"
    )
    stream.add_argument("directory", type=Path)
    stream.add_argument("--out", type=Path, help="write the JSON lines to this file")
    return parser


def configure_logging(config: Config, verbose: bool, command: str) -> None:
    quiet = command in ("demo", "chat", "eval", "feeds") and not verbose
    level = logging.WARNING if quiet else getattr(logging, config.logging.level.upper())
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


async def _deliveries(args: argparse.Namespace, config: Config) -> int:
    from bot.core.clock import SystemClock  # noqa: PLC0415
    from storage import open_storage  # noqa: PLC0415 - keep CLI start fast

    storage = await open_storage(config.database.url)
    try:
        await _manage_deliveries(storage, args, SystemClock())
    finally:
        await storage.close()
    return 0


UNCONFIRMED_WARNING = (
    "warning: an unconfirmed delivery may already have arrived (the platform's answer was "
    "lost); sending it again may show it twice in that chat."
)


async def _manage_deliveries(store: OperatorStore, args: argparse.Namespace, clock: Clock) -> None:
    statuses = ("unconfirmed",) if args.unconfirmed else ("failed",)
    if args.retry is not None:
        if args.unconfirmed:
            print(UNCONFIRMED_WARNING, file=sys.stderr)
        queued = await store.retry_failed(args.retry or None, now=clock.now(), statuses=statuses)
        print(f"queued {queued} {statuses[0]} deliveries again")
    elif args.failed or args.unconfirmed:
        if args.unconfirmed:
            print(UNCONFIRMED_WARNING.replace("sending it", "retrying one"), file=sys.stderr)
        for row in await store.failed_deliveries(1000, statuses=statuses):
            print(
                json.dumps(
                    {
                        "id": row.id,
                        "destination": row.destination.key,
                        "story": row.story_id,
                        "kind": row.kind,
                        "attempts": row.attempts,
                        "reason": row.last_error,
                    },
                    ensure_ascii=False,
                )
            )
    else:
        print(json.dumps(await store.count_deliveries()))


async def _db_upgrade(config: Config) -> int:
    from storage import open_storage  # noqa: PLC0415 - keep CLI start fast

    storage = await open_storage(config.database.url)
    await storage.close()
    print(f"database is at the newest schema: {config.database.url}")
    return 0


async def read_eval_lines(path: Path) -> list[str]:
    """The lines of an evaluation file, or a ConfigError that names it."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"eval file {path} cannot be read: {err}") from err
    return text.splitlines()


async def _eval_stream(args: argparse.Namespace, config: Config) -> int:
    from bot.app.stream_eval import stream_eval  # noqa: PLC0415 - builds storage and parser

    records = await stream_eval(config, args.directory)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if args.out is None:
        sys.stdout.write(body)
    else:
        try:
            await asyncio.to_thread(args.out.write_text, body, encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"--out {args.out} cannot be written: {err}") from err
    return 0


async def _eval(args: argparse.Namespace, config: Config) -> int:
    if args.eval_command == "stream":
        return await _eval_stream(args, config)
    if args.eval_command == "clustering":
        from bot.eval.clustering import evaluate_clustering  # noqa: PLC0415
        from bot.stories.clustering import ClusterConfig  # noqa: PLC0415

        lines = await read_eval_lines(args.file)
        result = evaluate_clustering(lines, config.section("clustering", ClusterConfig))
    elif args.eval_command == "summaries":
        from bot.app.bootstrap import build_summarizer  # noqa: PLC0415
        from bot.core.clock import SystemClock  # noqa: PLC0415
        from bot.eval.summaries import evaluate_summaries  # noqa: PLC0415

        lines = await read_eval_lines(args.file)
        summarizer, closers = build_summarizer(config, SystemClock())
        rendered: list[dict[str, Any]] = []
        try:
            result = await evaluate_summaries(
                lines,
                summarizer,
                source=str(args.file),
                rendered=rendered,
                translate_to=args.translate_to,
            )
        finally:
            for closer in closers:
                await closer()
        if args.out is not None:
            body = "".join(json.dumps(r, default=str, ensure_ascii=False) + "\n" for r in rendered)
            await asyncio.to_thread(args.out.write_text, body, encoding="utf-8")
    else:
        from bot.app.bootstrap import evaluate_feeds  # noqa: PLC0415 - the parse path is an adapter

        # It runs its own event loop for the parse pool: keep it off this one.
        result = await asyncio.to_thread(evaluate_feeds, args.directory)
    print(json.dumps(result, ensure_ascii=False))
    return 0


async def dispatch(args: argparse.Namespace, config: Config) -> int:
    from bot.app import launch  # noqa: PLC0415 - the composition root imports every adapter

    if args.command == "run":
        return await launch.run_bot(config)
    if args.command == "demo":
        return await launch.run_demo(
            config, once=args.once, feeds_dir=args.feeds, duration_s=args.duration
        )
    if args.command == "chat":
        await launch.run_chat(config)
        return 0
    if args.command == "db":
        return await _db_upgrade(config)
    if args.command == "feeds":
        from bot.app.feeds_cli import run_feeds  # noqa: PLC0415 - builds fetcher and parser

        return await run_feeds(args, config)
    if args.command == "deliveries":
        return await _deliveries(args, config)
    return await _eval(args, config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        from bot.app.bootstrap import validate  # noqa: PLC0415 - the composition root knows every section

        validate(config)
        configure_logging(config, args.verbose, args.command)
        target: Path | None = getattr(args, "file", None) or getattr(args, "directory", None)
        if args.command == "eval" and target is not None and not target.exists():
            raise ConfigError(f"{target} does not exist.")
        return asyncio.run(dispatch(args, config))
    except ConfigError as err:
        print(f"newsbot: configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except NewsbotError as err:
        print(f"newsbot: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The demo's replay of a folder of feed files starts at the files' own dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.replay import ReplayServer
from bot.core.clock import ShiftedClock


def _rss(items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://t.example/</link><description>d</description>{items}</channel></rss>"
    )


def test_a_folder_replays_from_its_newest_dated_item(tmp_path: Path) -> None:
    dated = (
        "<item><title>a</title><link>https://t.example/a</link>"
        "<pubDate>Tue, 14 Jun 2016 18:23:00 GMT</pubDate></item>"
        "<item><title>b</title><link>https://t.example/b</link>"
        "<pubDate>Mon, 13 Jun 2016 09:00:00 GMT</pubDate></item>"
    )
    (tmp_path / "dated.xml").write_text(_rss(dated), encoding="utf-8")
    # An undated feed (the New Yorker's capture has no dates) and a broken file say nothing.
    undated = "<item><title>c</title><link>https://t.example/c</link></item>"
    (tmp_path / "undated.xml").write_text(_rss(undated), encoding="utf-8")
    (tmp_path / "broken.xml").write_text("not a feed <<<", encoding="utf-8")
    server = ReplayServer(feeds_dir=tmp_path)
    assert server.newest_item() == datetime(2016, 6, 14, 18, 23, tzinfo=UTC)


def test_the_sample_corpus_and_an_undated_folder_keep_todays_clock(tmp_path: Path) -> None:
    assert ReplayServer().newest_item() is None
    (tmp_path / "undated.xml").write_text(
        _rss("<item><title>c</title><link>https://t.example/c</link></item>"), encoding="utf-8"
    )
    assert ReplayServer(feeds_dir=tmp_path).newest_item() is None


def test_a_shifted_clock_runs_at_the_real_pace_from_its_start() -> None:
    start = datetime(2016, 6, 14, 18, 23, tzinfo=UTC)
    origin = datetime.now(UTC) - timedelta(seconds=90)
    clock = ShiftedClock(start, origin=origin)
    elapsed = clock.now() - start
    assert timedelta(seconds=90) <= elapsed < timedelta(seconds=120)


def test_a_file_too_big_to_fetch_dates_nothing(tmp_path: Path) -> None:
    item = (
        "<item><title>a</title><link>https://t.example/a</link>"
        "<pubDate>Tue, 14 Jun 2016 18:23:00 GMT</pubDate></item>"
    )
    padding = "<!-- " + "x" * (9 * 1024 * 1024) + " -->"
    (tmp_path / "huge.xml").write_text(_rss(item) + padding, encoding="utf-8")
    assert ReplayServer(feeds_dir=tmp_path).newest_item() is None


def test_a_titled_file_is_left_unnamed_and_an_untitled_one_is_named_after_the_file(
    tmp_path: Path,
) -> None:
    item = "<item><title>a</title><link>https://t.example/a</link></item>"
    (tmp_path / "alpha_news.xml").write_text(_rss(item), encoding="utf-8")
    untitled = _rss(item).replace("<title>T</title>", "<title></title>")
    (tmp_path / "beta_wire.xml").write_text(untitled, encoding="utf-8")
    names = dict(ReplayServer(feeds_dir=tmp_path).feed_urls())
    # Unnamed (stored under its URL): shown under its own title "T".
    assert names["http://127.0.0.1:0/files/alpha_news"] == "http://127.0.0.1:0/files/alpha_news"
    # Untitled: after its file, not a loopback address.
    assert names["http://127.0.0.1:0/files/beta_wire"] == "beta wire"

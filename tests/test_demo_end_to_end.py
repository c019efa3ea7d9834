"""End to end: the real pipeline against the local replay server, printed by the console."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.app.launch import run_demo
from bot.core.config import parse_config


async def test_demo_once_posts_each_multi_outlet_story_once_with_sources() -> None:
    out = io.StringIO()
    status = await run_demo(parse_config({}), once=True, duration_s=3.0, out=out)
    assert status == 0
    printed = out.getvalue()
    segments = [p.strip() for p in printed.split("─" * 72)]
    posts = [p for p in segments if "[Sources (" in p and not p.startswith("(post ")]
    updates = [p for p in segments if p.startswith("(post ")]
    assert len(posts) >= 12, printed[-3000:]
    story_ids = [re.search(r"story ([a-z0-9]{4,12})\n", p).group(1) for p in posts]  # type: ignore[union-attr]
    assert len(story_ids) == len(set(story_ids)), "a story was posted twice"
    for post in posts:
        outlets = int(re.search(r"(\d+) outlets", post).group(1))  # type: ignore[union-attr]
        assert outlets >= 2
        assert "[Expand: " in post
        assert re.search(r"\[\d+\]", post), "every post cites its sources"
    assert f"Demo finished: {len(posts)} stories posted." in printed
    # Stories keep growing during the replay: their posts are edited in place.
    assert updates, "a living story updates its post"
    assert all("[Mute this story]" in u for u in updates)


async def test_demo_answers_expand_and_sources_at_the_prompt(tmp_path: Path) -> None:
    out = io.StringIO()
    # The prompt reads after the replay; the story id is unknown in advance, so ask for
    # /latest first and check that /expand of an unknown id is refused politely.
    stdin = io.StringIO("/latest\n/expand zz99\n/help\n")
    status = await run_demo(parse_config({}), once=False, duration_s=2.0, out=out, stdin=stdin)
    assert status == 0
    printed = out.getvalue()
    assert "Latest stories" in printed
    assert "I don't know story zz99" in printed
    assert "/subscribe <topic>" in printed


async def test_demo_replays_a_folder_of_feed_files(tmp_path: Path) -> None:
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        "<link>https://{name}.example/</link><description>test</description>"
        "<item><title>{title}</title><link>https://{name}.example/a</link>"
        "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>"
        "<description>{text}</description></item></channel></rss>"
    )
    text = (
        "The Kestrel Bay harbour bridge closed on Tuesday after engineers found cracks in two "
        "support piers. Kestrel Bay council said repairs would cost 12 million."
    )
    (tmp_path / "alpha.xml").write_text(
        rss.format(name="alpha", title="Kestrel Bay bridge closed after cracks found", text=text)
    )
    other = (
        "Engineers shut the harbour bridge in Kestrel Bay on Tuesday after spotting cracks in "
        "its support piers; the council expects a 12 million repair bill."
    )
    (tmp_path / "beta.xml").write_text(
        rss.format(name="beta", title="Cracks close Kestrel Bay harbour bridge", text=other)
    )
    (tmp_path / "broken.xml").write_text("this is not a feed <<<")
    out = io.StringIO()
    status = await run_demo(parse_config({}), once=True, feeds_dir=tmp_path, out=out)
    assert status == 0
    printed = out.getvalue()
    assert "Kestrel Bay" in printed
    assert "Demo finished: 1 stories posted." in printed
    # Replayed at the files' own dates, as the intro says.
    assert "at its items' own dates (from 24 Nov 2026 10:00 UTC)" in printed

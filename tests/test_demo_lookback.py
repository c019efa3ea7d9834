"""The issue's check: after the demo's replay, /catchup and /search answer with its stories."""

from __future__ import annotations

import io
import re

from bot.app.launch import run_demo
from bot.core.config import parse_config


async def test_demo_answers_catchup_and_search_after_the_replay() -> None:
    out = io.StringIO()
    stdin = io.StringIO('/catchup\n/search "solar plant"\n')
    status = await run_demo(parse_config({}), once=False, duration_s=3.0, out=out, stdin=stdin)
    assert status == 0
    after = out.getvalue().split("The replay is over", 1)[1]
    catchup, search = after.split('Stories matching "solar plant"', 1)
    assert re.search(r"Catching up since .*: \d+ stories, most important first", catchup)
    headlines = re.findall(r"^(.+) <(https://[^>]+)>", catchup, re.MULTILINE)
    assert len(headlines) >= 5, catchup
    assert "Page 1; /catchup --page 2 shows more." in catchup
    assert "Iraq opens 300-megawatt solar plant near Karbala <https://" in search

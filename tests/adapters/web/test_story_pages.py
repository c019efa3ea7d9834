"""Story pages: served by the bot's HTTP server, escaped, scriptless, cached; and looked at
in a real headless Chromium."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest

from adapters.console import ConsoleMessenger
from adapters.http_server import HealthServer, HttpConfig
from adapters.web.config import WebConfig
from adapters.web.pages import StoryPages, safe_href, visible
from bot.app.bootstrap import validate
from bot.core.cards import Link
from bot.core.clock import FixedClock
from bot.core.config import parse_config
from bot.core.domain import (
    DatedEvent,
    Destination,
    Section,
    Sentence,
    SourceRef,
    Story,
    Summary,
)
from bot.core.errors import ConfigError
from bot.core.metrics import Metrics
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.page import page_languages
from bot.delivery.render import story_post
from bot.summaries.translation import apply_translation, texts_of
from storage import SqlStorage
from tests.factories import seed_story

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HOSTILE_HEADLINE = 'Flood <script>document.body.dataset.pwned="1"</script> hits Marrowby'
RLO_TITLE = "Invoice \u202egpj.exe"


async def seed(store: SqlStorage) -> Story:
    story = Story(
        id="k7q2",
        created_at=NOW - timedelta(hours=3),
        updated_at=NOW,
        article_ids=(),
        outlets=("Harbour Herald", "Valley Courier"),
        headline=HOSTILE_HEADLINE,
        breaking_at=NOW - timedelta(hours=3),
        version=2,
    )
    await store.save_story(story)
    sources = (
        SourceRef(
            1, "Harbour Herald", "River Tessel bursts its banks", "https://hh.example/a", NOW
        ),
        SourceRef(2, "Valley <b>Courier</b>", RLO_TITLE, "javascript:alert(1)", NOW),
    )
    first = Summary(
        story_id="k7q2",
        headline="River Tessel floods Marrowby",
        lede=(Sentence("The River Tessel burst its banks.", (1,)),),
        sections=(),
        sources=sources[:1],
        story_version=1,
    )
    await store.save_summary(first)
    await store.save_summary(
        Summary(
            story_id="k7q2",
            headline=HOSTILE_HEADLINE,
            lede=(
                Sentence("The River Tessel burst its banks in Marrowby.", (1,)),
                Sentence("<img src=x onerror=\"document.title='pwned'\"> said police.", (2,)),
            ),
            sections=(
                Section("Casualties", (Sentence("Two people died, police said.", (1, 2)),)),
                Section("Bridges", (Sentence("All three road bridges closed.", (2,)),)),
            ),
            sources=sources,
            events=(DatedEvent("2019", Sentence("The last great flood hit the town.", (1,))),),
            story_version=2,
            what_changed=Sentence("Police confirmed two deaths.", (1,)),
        )
    )
    return story


@pytest.fixture
async def server(store: SqlStorage) -> AsyncIterator[HealthServer]:
    async def ready() -> dict[str, bool]:
        return {"database": True}

    http = HealthServer(
        HttpConfig(listen="127.0.0.1:0"), metrics=Metrics(), ready=ready, pages=StoryPages(store)
    )
    await http.start()
    try:
        yield http
    finally:
        await http.stop()


async def get(
    server: HealthServer, path: str, **headers: str
) -> tuple[aiohttp.ClientResponse, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}{path}", headers=headers,
                    allow_redirects=False) as response,
    ):  # fmt: skip
        return response, (await response.read()).decode()


async def test_page_is_escaped_scriptless_and_cached(
    store: SqlStorage, server: HealthServer
) -> None:
    await seed(store)
    response, html = await get(server, "/s/K7Q2")
    assert response.status == 200
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"].startswith("public, max-age=60")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in html
    assert "&lt;script&gt;document.body.dataset.pwned" in html
    assert "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html
    assert "Invoice &lt;U+202E&gt;gpj.exe" in html
    assert "\u202e" not in html
    assert "Valley &lt;b&gt;Courier&lt;/b&gt;" in html
    assert '<a href="https://hh.example/a" rel="noopener nofollow">[1]</a>' in html
    assert "Police confirmed two deaths." in html  # the versions
    assert "First report" in html
    again, _ = await get(server, "/s/k7q2", **{"If-None-Match": response.headers["ETag"]})
    assert again.status == 304
    css, _ = await get(server, "/static/story.css")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")


async def test_unknown_and_merged_stories(store: SqlStorage, server: HealthServer) -> None:
    story = await seed(store)
    missing, html = await get(server, "/s/zz99")
    assert missing.status == 404
    assert "Story not found" in html
    assert "default-src 'none'" in missing.headers["Content-Security-Policy"]
    bad, html = await get(server, "/s/%3Cscript%3E")
    assert bad.status == 404
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    survivor = replace(story, id="m3rg", headline="Marrowby flood")
    await store.save_story(survivor)
    await store.save_summary(Summary("m3rg", "Marrowby flood", (), (), ()))
    await store.save_story(replace(story, merged_into="m3rg"))
    moved, _ = await get(server, "/s/k7q2")
    assert moved.status == 301
    assert moved.headers["Location"] == "/s/m3rg"


def test_posts_link_to_their_page_and_config_is_checked() -> None:
    story = Story("k7q2", NOW, NOW, (), ("A", "B"), headline="H")
    summary = Summary(
        "k7q2",
        "H",
        (Sentence("S.", (1,)),),
        (),
        (SourceRef(1, "A", "T", "https://a.example/", NOW),),
    )
    post = story_post(story, summary, NOW, page_url="https://news.example/s/k7q2")
    assert post.body[-1] == (Link("Full story", "https://news.example/s/k7q2"),)
    assert story_post(story, summary, NOW).body[-1] != post.body[-1]
    with pytest.raises(ConfigError):
        WebConfig(public_url="javascript:alert(1)")
    assert WebConfig(public_url="https://news.example").enabled
    assert safe_href("https://a.example/x") == "https://a.example/x"
    assert safe_href("JavaScript:alert(1)") == ""
    assert safe_href("https://a.example/\nx") == ""
    assert visible("a\u202eb") == "a<U+202E>b"


# ------------------------------------------------------------------ in a real browser


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.body_attrs: dict[str, str | None] = {}
        self.title = ""
        self._in_title = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v or "" for k, v in attrs if k == "href")
        if tag == "script":
            self.scripts += 1
        if tag == "body":
            self.body_attrs = dict(attrs)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is missing (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


async def run_chromium(binary: str, profile: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


async def test_page_in_headless_chromium(
    store: SqlStorage, server: HealthServer, tmp_path: Path
) -> None:
    binary = chromium()
    await seed(store)
    url = f"http://127.0.0.1:{server.port}/s/k7q2"
    dom = Dom()
    dom.feed(await run_chromium(binary, tmp_path / "profile", "--dump-dom", url))
    text = " ".join(" ".join(dom.text).split())
    assert dom.scripts == 0, "no script element made it into the page"
    assert "data-pwned" not in dom.body_attrs, "no script ran"
    assert dom.title == f"{HOSTILE_HEADLINE} — newsbot"  # shown as text
    assert "<img src=x onerror=\"document.title='pwned'\"> said police." in text
    assert "Invoice <U+202E>gpj.exe" in text
    assert "javascript:alert(1)" in text  # the bad link is shown, not followed
    assert all(href.startswith("https://") for href in dom.hrefs), dom.hrefs
    assert "https://hh.example/a" in dom.hrefs
    for shown in ("Casualties", "Bridges", "Dated events", "2019", "Sources", "Versions"):
        assert shown in text
    assert "2 outlets · breaking · updated 06 Dec 2026 10:00 UTC · story k7q2" in text
    screenshot = tmp_path / "story-k7q2.png"
    await run_chromium(
        binary,
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=412,1400",
        "--hide-scrollbars",
        url,
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 5_000  # a page was drawn, not a blank


def test_pages_need_the_http_server() -> None:
    with pytest.raises(ConfigError, match=r"http\.listen is empty"):
        validate(parse_config({"web": {"public_url": "https://news.example"}}))
    validate(
        parse_config(
            {"web": {"public_url": "https://news.example"}, "http": {"listen": "127.0.0.1:0"}}
        )
    )


async def test_delivered_posts_and_digests_link_to_the_page(sqlite_store: SqlStorage) -> None:
    clock = FixedClock(NOW)
    story, _summary = await seed_story(sqlite_store, NOW, "k7q2")
    chat = Destination("console", "c9")
    sub, _ = await sqlite_store.add_subscription(chat, "*", breaking_only=False, min_outlets=2)
    await sqlite_store.enqueue_deliveries(story, [sub], now=NOW)
    messenger = ConsoleMessenger(io.StringIO())
    dispatcher = Dispatcher(
        storage=sqlite_store,
        messengers={"console": messenger},
        clock=clock,
        public_url="https://news.example/",
    )
    await dispatcher.dispatch_once()
    [(_, post)] = messenger.sent
    assert post.body[-1] == (Link("Full story", "https://news.example/s/k7q2"),)


async def test_the_page_is_shown_in_a_stored_translation_the_reader_asks_for(
    store: SqlStorage, server: HealthServer
) -> None:
    await seed(store)
    summary = await store.get_summary("k7q2")
    assert summary is not None
    summary = replace(summary, language="en")
    await store.save_summary(summary)
    marked = [f"(de) {text}" for text in texts_of(summary)]
    await store.save_translation(apply_translation(summary, marked, "de"))
    english, html = await get(server, "/s/k7q2")
    assert "(de)" not in html
    assert '<article lang="en"' in html
    assert english.headers["Vary"] == "Accept-Language"
    asked, html = await get(server, "/s/k7q2?lang=de-AT")
    assert "(de) Casualties" in html
    assert '<article lang="de"' in html
    assert asked.headers["ETag"] != english.headers["ETag"]
    # The first language asked for with a translation; French has none, German has one.
    _, html = await get(server, "/s/k7q2", **{"Accept-Language": "fr-CA, fr;q=0.9, de;q=0.8"})
    assert "(de) Casualties" in html
    _, html = await get(server, "/s/k7q2", **{"Accept-Language": "en;q=0.9, de;q=0.5"})
    assert "(de)" not in html  # English is preferred and is what it is written in
    for bad in ("?lang=klingon", "?lang=%3Cscript%3E", "?lang=" + "d" * 400):
        response, html = await get(server, "/s/k7q2" + bad)
        assert response.status == 200, bad
        assert "(de)" not in html


@pytest.mark.parametrize(
    ("lang", "accept", "wanted"),
    [
        ("de", "fr", ["de"]),
        ("nonsense!", "fr", []),
        (None, "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr-CH", "fr", "en"]),
        (None, "de;q=0.2, ar", ["ar", "de"]),
        (None, "de;q=abc, ar;q=0, es;q=7, zz-99", []),
        (None, "", []),
        (None, "de," * 1000, ["de"]),
    ],
)
def test_page_languages(lang: str | None, accept: str, wanted: list[str]) -> None:
    assert page_languages(lang, accept) == wanted

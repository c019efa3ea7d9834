"""``newsbot eval stream DIR``: feed files replayed through the bot, read back as posts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.app.cli import main
from bot.text.urls import canonical_url

ALPHA_VOLCANO = (
    "https://www.alpha-news.com/world/iceland-volcano-grindavik?utm_source=rss&utm_medium=feed"
)
ALPHA_BUDGET = "https://www.alpha-news.com/local/springfield-parks-budget"
BETA_VOLCANO = "https://beta-times.org/2024/03/17/Grindavik-Evacuated-As-Volcano-Erupts/"
GAMMA_HEATING = "https://www.gamma-zeitung.de/politik/heizungsgesetz-bundestag.html"


def rss(title: str, site: str, items: list[tuple[str, str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link.replace('&', '&amp;')}</link>"
        f"<pubDate>{date}</pubDate><description>{text}</description></item>"
        for t, link, date, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>{site}</link><description>{title}</description>"
        f"{body}</channel></rss>"
    )


def write_feeds(folder: Path) -> Path:
    folder.mkdir()
    (folder / "alpha_news.xml").write_text(
        rss(
            "Alpha News",
            "https://www.alpha-news.com/",
            [
                (
                    "Volcano erupts near Grindavik in Iceland, 4,000 residents evacuated",
                    ALPHA_VOLCANO,
                    "Sun, 17 Mar 2024 10:00:00 +0000",
                    "A volcano erupted on the Reykjanes peninsula in Iceland on Saturday night. "
                    "Authorities evacuated about 4,000 residents of Grindavik as lava flowed "
                    "toward the town. The Icelandic Meteorological Office said the eruption "
                    "began north of Grindavik after weeks of earthquakes.",
                ),
                (
                    "Springfield council approves parks budget after long debate",
                    ALPHA_BUDGET,
                    "Sun, 17 Mar 2024 08:00:00 +0000",
                    "The Springfield city council approved a new parks budget on Thursday. "
                    "Councillors argued for three hours over playground repairs and the "
                    "cost of a new swimming pool before the vote passed seven to two.",
                ),
            ],
        ),
        encoding="utf-8",
    )
    (folder / "beta_times.xml").write_text(
        rss(
            "Beta Times",
            "https://beta-times.org/",
            [
                (
                    "Iceland volcano erupts on Reykjanes peninsula, Grindavik evacuated",
                    BETA_VOLCANO,
                    "Sun, 17 Mar 2024 11:30:00 +0000",
                    "Lava poured from a fissure on Iceland's Reykjanes peninsula after a "
                    "volcano erupted near Grindavik. Around 4,000 people were evacuated from "
                    "Grindavik, the Icelandic Meteorological Office said. It is the fourth "
                    "eruption on the peninsula since December.",
                )
            ],
        ),
        encoding="utf-8",
    )
    (folder / "gamma_zeitung.xml").write_text(
        rss(
            "Gamma Zeitung",
            "https://www.gamma-zeitung.de/",
            [
                (
                    "Bundestag beschließt das neue Heizungsgesetz nach langer Debatte",
                    GAMMA_HEATING,
                    "Sun, 17 Mar 2024 10:15:00 +0000",
                    "Der Bundestag hat am Freitag das umstrittene Heizungsgesetz beschlossen. "
                    "Die Abgeordneten stimmten nach einer langen und hitzigen Debatte mit "
                    "großer Mehrheit für die Reform, die ab dem kommenden Jahr gelten soll.",
                )
            ],
        ),
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def config(tmp_path: Path) -> Path:
    file = tmp_path / "newsbot.toml"
    file.write_text("")
    return file


def read_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_the_two_publishers_story_is_found_and_shown_as_posted(
    tmp_path: Path, config: Path
) -> None:
    folder = write_feeds(tmp_path / "feeds")
    out = tmp_path / "stories.jsonl"
    code = main(["--config", str(config), "eval", "stream", str(folder), "--out", str(out)])
    assert code == 0
    *stories, summary = read_lines(out.read_text(encoding="utf-8"))
    assert set(summary) >= {"stories", "posted", "articles", "seconds"}
    assert summary["articles"] == 4
    assert summary["stories"] == len(stories)
    assert summary["posted"] == sum(1 for s in stories if s["posted"])
    volcano = [
        s
        for s in stories
        if {a["feed"] for a in s["articles"]} >= {"alpha_news.xml", "beta_times.xml"}
    ]
    assert len(volcano) == 1
    story = volcano[0]
    assert set(story) >= {
        "story", "posted", "headline", "link", "language", "lede", "headings", "outlets", "articles"
    }  # fmt: skip
    assert story["posted"] is True
    assert summary["posted"] >= 1
    # Links exactly as the feeds have them, tracking parameters and case included.
    assert sorted(a["link"] for a in story["articles"]) == sorted([ALPHA_VOLCANO, BETA_VOLCANO])
    assert {a["publisher"] for a in story["articles"]} == {"alpha-news.com", "beta-times.org"}
    # Shown under the feeds' own titles, not their files' names.
    assert sorted(story["outlets"]) == ["Alpha News", "Beta Times"]
    assert story["language"] == "en"
    assert {a["language"] for a in story["articles"]} == {"en"}
    assert "Grindavik" in story["headline"]
    assert story["link"] in {canonical_url(ALPHA_VOLCANO), canonical_url(BETA_VOLCANO)}
    assert story["lede"]
    assert all(isinstance(s, str) and s for s in story["lede"])
    assert isinstance(story["headings"], list)
    # The unrelated and the German report stay out of it.
    assert all(
        a["link"] not in (ALPHA_BUDGET, GAMMA_HEATING) for s in stories for a in s["articles"]
    )


def test_a_file_that_is_not_a_feed_is_skipped_with_its_reason(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_feeds(tmp_path / "feeds")
    (folder / "broken.xml").write_text("<html><body>Not a feed at all</body></html>")
    code = main(["--config", str(config), "eval", "stream", str(folder)])
    captured = capsys.readouterr()
    assert code == 0
    assert "skipped broken.xml: an HTML page, not a feed" in captured.err
    assert "Traceback" not in captured.err
    *stories, summary = read_lines(captured.out)
    assert summary["articles"] == 4
    assert summary["skipped_feeds"] == 1
    assert summary["feeds"] == 3
    assert any(s["posted"] for s in stories)


@pytest.mark.parametrize("kind", ["missing", "empty", "file"])
def test_a_folder_without_feed_files_is_a_one_sentence_error(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = tmp_path / "feeds"
    if kind == "empty":
        target.mkdir()
        (target / ".hidden").write_text("ignored")
    elif kind == "file":
        target.write_text("<rss/>")
    code = main(["--config", str(config), "eval", "stream", str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(target) in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    expected = {
        "missing": "does not exist",
        "empty": "holds no feed files",
        "file": "is not a folder of feed files",
    }
    assert expected[kind] in err


def test_a_feed_file_without_a_title_is_shown_under_its_files_name(
    tmp_path: Path, config: Path
) -> None:
    folder = write_feeds(tmp_path / "feeds")
    beta = folder / "beta_times.xml"
    beta.write_text(
        beta.read_text(encoding="utf-8").replace("<title>Beta Times</title>", "<title></title>"),
        encoding="utf-8",
    )
    out = tmp_path / "stories.jsonl"
    assert main(["--config", str(config), "eval", "stream", str(folder), "--out", str(out)]) == 0
    *stories, _ = read_lines(out.read_text(encoding="utf-8"))
    (story,) = [s for s in stories if len(s["articles"]) == 2]
    # Not the file's local path (file:///...): the same output on every machine.
    assert sorted(story["outlets"]) == ["Alpha News", "beta times"]

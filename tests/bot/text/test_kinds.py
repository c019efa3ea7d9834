"""Which pieces report an event and which are features (videos, galleries, guides...)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime

import pytest

from bot.core.domain import Article
from bot.text.kinds import NEWS, is_report, piece_kind
from tests.factories import new_article


@pytest.mark.parametrize(
    ("title", "url", "kind"),
    [
        ("Eddie Jones: England can still improve – video", "", "video"),
        ("Obama speech", "https://www.theguardian.com/us-news/video/2016/jun/14/x", "video"),
        ("(Video) Sit back, relax and enjoy all 31 of Riise’s goals", "", "video"),
        ("A nice cup of tea – in pictures", "", "gallery"),
        ("Euro 2016 picture of the day – Northern Ireland pay their respects", "", "gallery"),
        ("Quiz: how well do you know Euro 2016?", "", "quiz"),
        ("The Guardian football podcast", "", "audio"),
        ("Top 10 goals of the season", "", "list"),
        ("The AR-15, the gun behind mass shootings, explained", "", "explainer"),
        ("The climate fight will be won or lost in India, in 8 charts", "", "explainer"),
        ("Royal Ascot 2016: horse-by-horse guide to St James’s Palace Stakes", "", "explainer"),
        ("Euro 2016 venue guides: Stade de Lyon", "", "explainer"),
        ("Wales: Euro 2016 squad guide", "", "explainer"),
        (
            "Do terrorist attacks make a Trump win more likely? Here’s what the research says",
            "",
            "explainer",
        ),
    ],
)
def test_features_are_told_from_reports(title: str, url: str, kind: str) -> None:
    assert piece_kind(title, url) == kind


@pytest.mark.parametrize(
    "title",
    [
        "Canadian hostage Robert Hall killed by militants, Philippines confirms",
        "Guide Dogs charity appoints a new chief executive",
        "Sherpa guide killed in Everest avalanche",
        "India and Ghana sign 3 pacts",
        "Hungary stun 10-man Austria to end 30-year wait",
        "Video referees to be used at the World Cup, Fifa confirms",
        "Man of the day: a nurse who saved five lives",
        # Often an event's main report, updated as it unfolds.
        "Paris attacks: what we know so far",
    ],
)
def test_reports_are_news(title: str) -> None:
    assert piece_kind(title, "https://www.example.com/world/2016/jun/14/story") == NEWS


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("视频：习近平会见英国剑桥公爵威廉王子", "video"),
        ("节目重温：科技脉搏（粤语）", "audio"),
        ("音频：记者来鸿", "audio"),
    ],
)
def test_chinese_outlets_mark_their_features_too(title: str, kind: str) -> None:
    assert piece_kind(title) == kind


def test_a_chinese_report_is_news() -> None:
    assert piece_kind("原军委副主席徐才厚因病身亡") == NEWS


def test_a_stored_articles_kind_is_judged_without_its_publishers_name() -> None:
    # The clusterer, the outlet count and the lead must agree on what a video is, even
    # when the publisher appends its name after the "- video" furniture.
    made = new_article(
        1, "Sport | The Guardian", "England can still improve – video - The Guardian", "x",
        datetime(2016, 6, 13, tzinfo=UTC), slug="england",
    )  # fmt: skip
    video = Article(id=1, **{**asdict(made), "publisher": "theguardian.com"})
    assert not is_report(video)
    assert is_report(replace(video, title="England beat Australia - The Guardian"))

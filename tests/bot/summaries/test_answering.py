"""``/ask`` from the story's own articles: cited answers, and "the sources do not say"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.domain import Article, Story
from bot.summaries.answering import answer_from_articles, question_terms
from bot.summaries.extractive import ExtractiveSummarizer

T0 = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)


def article(id_: int, text: str, minutes: int) -> Article:
    when = T0 + timedelta(minutes=minutes)
    return Article(id_, 1, f"Outlet{id_}", f"https://o{id_}.example/a", None, f"Title {id_}",
                   text, when, when, f"h{id_}")  # fmt: skip


ARTICLES = [
    article(
        5,
        "Dock workers in Kessel walked out on Monday, demanding a 9.5% raise. "
        "About 2,400 workers joined the strike, the union said. "
        "The port handles two million containers a year.",
        10,
    ),
    article(
        2,
        "Talks between the port authority and the union stalled on Wednesday. "
        "About 2,400 workers joined the strike, the union said. "
        "The authority offered a raise of 4% over two years.",
        0,
    ),
]


def test_answer_cites_every_source_that_says_it() -> None:
    answer = answer_from_articles(ARTICLES, "How many workers joined the strike?")
    assert answer.found
    first = answer.sentences[0]
    assert "2,400 workers" in first.text
    assert first.cites == (1, 2)  # article 2 was published first, so it is source 1


def test_answer_uses_the_matching_source() -> None:
    answer = answer_from_articles(ARTICLES, "What raise did the authority offer?")
    assert answer.found
    assert any("offered a raise of 4%" in s.text and s.cites == (1,) for s in answer.sentences)


def test_sources_that_do_not_say_are_reported_as_such() -> None:
    answer = answer_from_articles(ARTICLES, "What did the prime minister say about tariffs?")
    assert not answer.found
    assert len(answer.sentences) <= 2


def test_empty_and_stopword_questions_find_nothing() -> None:
    assert not answer_from_articles(ARTICLES, "").found
    assert not answer_from_articles(ARTICLES, "what is it about?").found
    assert question_terms("What happened to the dock workers?") == ["dock", "workers"]


def test_no_articles_means_no_answer() -> None:
    answer = answer_from_articles([], "How many workers joined the strike?")
    assert answer.sentences == ()
    assert not answer.found


def test_answer_text_is_neutralised() -> None:
    hostile = [article(1, "The strike @everyone was called by the dockers union.", 0)]
    answer = answer_from_articles(hostile, "Who called the strike?")
    assert answer.found
    assert "@everyone" not in answer.sentences[0].text


async def test_extractive_summarizer_answers_through_the_port() -> None:
    story = Story("k7q2", T0, T0, (2, 5), ("Outlet2", "Outlet5"))
    answer = await ExtractiveSummarizer().answer(
        story, ARTICLES, "Where did dock workers walk out?"
    )
    assert answer.found
    assert "Kessel" in answer.sentences[0].text
    assert answer.sentences[0].cites == (2,)

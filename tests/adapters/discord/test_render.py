"""Card -> Discord: escaping of hostile feed text and every size limit."""

from __future__ import annotations

import re

import pytest

from adapters.discord.render import render_card, thread_name
from adapters.discord.text import escape, fit_lines, safe_url
from bot.core.cards import Action, Button, Card, Field, Link, Text, line
from tests.fakes.fake_discord import FakeDiscord


def _payload(card: Card) -> dict[str, object]:
    rendered = render_card(card)
    view = rendered.view()
    return {
        "content": rendered.content,
        "embeds": [rendered.embed.to_dict()] if rendered.embed else [],
        "components": view.to_components() if view else [],
    }


def _sentence(i: int, words: int = 12) -> str:
    return f"Sentence {i} " + " ".join(f"word{i}x{j}" for j in range(words)) + "."


def _post(lede_sentences: int, sections: int = 4) -> Card:
    body = tuple(
        (Text(_sentence(i)), Link(f"[{i % 9 + 1}]", f"https://outlet.example/{i}"))
        for i in range(lede_sentences)
    )
    return Card(
        title="Headline " * 40,
        title_url="https://outlet.example/lead",
        body=body,
        fields=tuple(Field(f"Section {n}", ()) for n in range(sections)),
        footer=("4 outlets · breaking · updated 02:14 UTC · story k7q2", "Written by AI."),
        buttons=(
            *(
                Button(f"Expand: Section {n}", Action("expand", "k7q2", n + 1))
                for n in range(sections)
            ),
            Button("Sources (4)", Action("sources", "k7q2")),
        ),
        story_id="k7q2",
    )


async def test_story_post_is_one_embed_with_buttons() -> None:
    rendered = render_card(_post(2))
    assert rendered.content is None
    assert rendered.embed is not None
    embed = rendered.embed.to_dict()
    assert embed["url"] == "https://outlet.example/lead"
    assert "[[1]](https://outlet.example/0)" in embed["description"]
    assert [f["name"] for f in embed["fields"]] == [f"Section {n}" for n in range(4)]
    assert embed["footer"]["text"].startswith("4 outlets")
    view = rendered.view()
    assert view is not None
    ids = [c["custom_id"] for row in view.to_components() for c in row["components"]]
    assert ids == ["nb:e:k7q2:1", "nb:e:k7q2:2", "nb:e:k7q2:3", "nb:e:k7q2:4", "nb:s:k7q2"]


@pytest.mark.parametrize("sentences", [1, 40, 400])
async def test_long_lede_is_cut_between_sentences_and_accepted(sentences: int) -> None:
    card = _post(sentences)
    payload = _payload(card)
    assert FakeDiscord.validate(payload) is None
    description = payload["embeds"][0]["description"]  # type: ignore[index]
    if sentences == 400:
        assert description.endswith(" …")
        # Never cut inside a link: every "[" opened is a complete masked link.
        assert description.count("](") == description.count("[[")
        before = description.removesuffix(" …")
        assert re.search(r"\.\[\[\d\]\]\(https://outlet\.example/\d+\)$", before)


async def test_many_sections_and_buttons_stay_within_limits() -> None:
    card = _post(30, sections=40)
    payload = _payload(card)
    assert FakeDiscord.validate(payload) is None
    components = payload["components"]
    buttons = [c for row in components for c in row["components"]]  # type: ignore[attr-defined]
    assert len(buttons) == 25
    assert buttons[-1]["custom_id"] == "nb:s:k7q2", "Sources survives when expansions are cut"
    assert len(payload["embeds"][0]["fields"]) == 25  # type: ignore[index]


async def test_total_embed_size_stays_under_6000_with_long_field_values() -> None:
    card = Card(
        title="T",
        body=tuple(line(_sentence(i, 30)) for i in range(50)),
        fields=tuple(Field("F" * 300, line(_sentence(n, 200))) for n in range(25)),
        footer=("x" * 3000,),
    )
    payload = _payload(card)
    assert FakeDiscord.validate(payload) is None
    embed = payload["embeds"][0]  # type: ignore[index]
    assert len(embed["footer"]["text"]) <= 2048
    assert embed["description"]


async def test_body_only_card_is_plain_content_and_long_one_an_embed() -> None:
    short = Card(body=(line("Subscribed this chat to iraq."),))
    assert render_card(short).content == "Subscribed this chat to iraq."
    long_card = Card(body=tuple(line(_sentence(i, 20)) for i in range(60)))
    rendered = render_card(long_card)
    assert rendered.content is None
    assert rendered.embed is not None
    assert FakeDiscord.validate(_payload(long_card)) is None


@pytest.mark.parametrize(
    "hostile",
    [
        "@everyone look **here** __now__ ~~x~~ ||spoiler|| `code`",
        "# Big heading",
        "-# tiny",
        "> quoted",
        "1. listed",
        "[click me](https://evil.example)",
        "<@123456789> <#42> <t:1700000000:R> <:emoji:1>",
        "back\\slash \\*not bold\\*",
    ],
)
def test_feed_text_loses_every_markdown_meaning(hostile: str) -> None:
    out = escape(hostile)
    unescaped = re.sub(r"\\.", "", out)
    for special in ("*", "_", "~", "|", "`", "#", ">", "[", "]", "(", ")", "<"):
        assert special not in unescaped, (special, out)
    assert not re.match(r"^\s*\d+\.", unescaped)


def test_links_with_odd_urls_do_not_break_out() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/a b)c") == "https://x.example/a%20b%29c"
    text = fit_lines((line(Link("title [with] brackets", "https://x.example/(1)")),), 500)
    assert text == "[title \\(with\\) brackets](https://x.example/%281%29)"
    assert fit_lines((line(Link("evil", "ftp://x")),), 500) == "evil"


def test_one_huge_sentence_is_cut_at_a_word() -> None:
    text = fit_lines((line("word " * 2000),), 100)
    assert len(text) <= 100
    assert text.endswith("…")
    assert "wor…" not in text


def test_styles_are_markdown_around_escaped_text() -> None:
    out = fit_lines(((Text("Key *facts*", "bold"), Text(" a`b", "code")),), 100)
    assert out == "**Key \\*facts\\*** `a'b`"


def test_thread_name_is_plain_and_short() -> None:
    assert thread_name(Card(title="  A   **headline**  " + "x" * 200)).startswith("A **headline** ")
    assert len(thread_name(Card(title="x" * 500))) == 100
    assert thread_name(Card()) == "News"

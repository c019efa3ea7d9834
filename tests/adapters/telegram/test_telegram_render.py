"""Cards as Telegram HTML: escaping, allowed tags, the 4,096-unit limit, the keyboard.

Every rendered text is checked with the fake server's strict Telegram HTML parser.
"""

from __future__ import annotations

import pytest

from adapters.telegram.render import (
    CALLBACK_MAX_BYTES,
    MAX_UNITS,
    label,
    render,
    render_single,
    split_plain,
    units,
)
from bot.core.cards import Action, Button, Card, Field, Link, Text, line
from tests.fakes.fake_telegram import ApiError, parse_html


def visible(markup: str) -> str:
    return parse_html(markup)[0]


def post_card() -> Card:
    return Card(
        title="Rocket attack hits Al Asad base",
        title_url="https://a.example/1",
        body=(
            line(
                "Militias fired rockets late on Saturday ",
                Link("[1]", "https://a.example/1"),
                Link("[2]", "https://b.example/2"),
                ".",
            ),
        ),
        fields=(Field("The attack", ()), Field("Casualties", ())),
        footer=("4 outlets · breaking · story k7q2", "Written by AI from the linked reports."),
        buttons=(
            Button("Expand: The attack", Action("expand", "k7q2", 1)),
            Button("Expand: Casualties", Action("expand", "k7q2", 2)),
            Button("Sources (4)", Action("sources", "k7q2")),
            Button("Mute this story", Action("mute", "k7q2")),
        ),
        story_id="k7q2",
    )


def test_a_post_has_headline_cited_lede_sections_and_small_print() -> None:
    rendered = render(post_card())
    assert len(rendered.chunks) == 1
    text, entities = parse_html(rendered.chunks[0])
    assert text.splitlines() == [
        "Rocket attack hits Al Asad base",
        "Militias fired rockets late on Saturday [1][2].",
        "",
        "▸ The attack · ▸ Casualties",
        "",
        "4 outlets · breaking · story k7q2",
        "Written by AI from the linked reports.",
    ]
    links = [e["url"] for e in entities if e["type"] == "text_link"]
    assert links == ["https://a.example/1", "https://a.example/1", "https://b.example/2"]
    assert {e["type"] for e in entities} == {"bold", "text_link", "italic"}


def test_the_keyboard_pairs_short_expand_buttons_and_ends_with_sources_and_mute() -> None:
    rows = render(post_card()).keyboard
    assert [[b.label for b in row] for row in rows] == [
        ["Expand: The attack", "Expand: Casualties"],
        ["Sources (4)", "Mute this story"],
    ]
    assert [b.data for row in rows for b in row] == ["e:k7q2:1", "e:k7q2:2", "s:k7q2", "m:k7q2"]


def test_long_labels_are_cut_at_a_word_and_get_their_own_row() -> None:
    heading = "What the ministry of defence said about the strike on Sunday morning"
    card = Card(buttons=(Button(f"Expand: {heading}", Action("expand", "k7q2", 1)),))
    (row,) = render(card).keyboard
    assert len(row) == 1
    assert row[0].label.endswith("…")
    assert len(row[0].label) <= 36
    assert row[0].label[:-1] in f"Expand: {heading}"
    assert label("   ", fallback="Expand") == "Expand"
    assert label("a\nb\tc", fallback="x") == "a b c"


def test_callback_data_always_fits_64_bytes() -> None:
    card = Card(buttons=tuple(Button(f"b{i}", Action("expand", "z" * 12, 99)) for i in range(40)))
    rows = render(card).keyboard
    data = [b.data for row in rows for b in row]
    assert data
    assert all(len(d.encode()) <= CALLBACK_MAX_BYTES for d in data)
    assert len(data) <= 24  # Telegram keyboards stay usable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("AT&amp;T &lt;b&gt; &quot;q&quot;", 'AT&T <b> "q"'),
        ("Tom & Jerry > Itchy < Scratchy", "Tom & Jerry > Itchy < Scratchy"),
        ("&amp;lt;", "&lt;"),  # unescaped exactly once, then escaped again
        ("bell\x07and\x00nul", "bell and nul"),
        ("&#128512; &#x1F600;", "😀 😀"),
    ],
)
def test_feed_text_is_unescaped_once_then_escaped(raw: str, shown: str) -> None:
    card = Card(title=raw, body=(line(raw), (Text(raw, "bold"), Link(raw, "https://x.example"))))
    text = visible(render(card).chunks[0])
    assert text.splitlines() == [shown, shown, shown + shown]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "https://x.example/a b", "ftp://x.example"]
)
def test_unsafe_links_become_plain_text(url: str) -> None:
    card = Card(title="T", title_url=url, body=(line(Link("[1]", url)),))
    text, entities = parse_html(render(card).chunks[0])
    assert text == "T\n[1]"
    assert not [e for e in entities if e["type"] == "text_link"]


def test_quotes_in_a_url_cannot_break_out_of_the_attribute() -> None:
    url = 'https://x.example/?q="><b>x</b>'
    _, entities = parse_html(render(Card(body=(line(Link("[1]", url)),))).chunks[0])
    assert entities == [{"type": "text_link", "url": url, "offset": 0, "length": 3}]


def long_body(sentences: int) -> Card:
    sentence = "The council said the bridge would stay closed for repairs this week. "
    return Card(
        title="Bridge",
        body=(
            (Text(sentence * sentences, "bold"),),
            line("Second paragraph. " * sentences),
        ),
        footer=("Written by AI.",),
        buttons=(Button("Sources (2)", Action("sources", "k7q2")),),
    )


def test_long_cards_split_between_sentences_within_the_limit() -> None:
    card = long_body(200)
    chunks = render(card).chunks
    assert len(chunks) > 2
    texts = [visible(chunk) for chunk in chunks]  # each piece is valid HTML on its own
    assert all(units(t) <= MAX_UNITS for t in texts)
    for t in texts[:-1]:
        assert t.rstrip().endswith(".")  # split after a sentence, never inside one
    joined = "".join(t if t.endswith("\n") else t + " " for t in texts)
    assert (
        " ".join(joined.split())
        == " ".join(card.plain_text().split()).replace("[Sources (2)]", "").strip()
    )


def test_units_are_utf16_so_astral_characters_count_double() -> None:
    card = Card(body=(line("😀" * 3000),))
    chunks = render(card).chunks
    assert len(chunks) == 2
    assert [units(visible(c)) for c in chunks] == [4096, 1904]
    assert "\ud83d" not in "".join(chunks)  # no surrogate pair cut in half


def test_a_word_longer_than_a_message_is_cut_hard() -> None:
    chunks = render(Card(body=((Text("x" * 9000, "italic"),),))).chunks
    assert [units(visible(c)) for c in chunks] == [4096, 4096, 808]
    assert all(c.startswith("<i>") and c.endswith("</i>") for c in chunks)


def test_an_edit_is_one_message_cut_with_an_ellipsis() -> None:
    rendered = render_single(long_body(200))
    (text,) = rendered.chunks
    shown = visible(text)
    assert units(shown) <= MAX_UNITS
    assert shown.endswith("…")
    assert rendered.keyboard


def test_plain_fallback_is_split_too() -> None:
    parts = split_plain("a & b. " * 1500)
    assert len(parts) == 3
    assert all(units(p) <= MAX_UNITS for p in parts)
    assert parts[0].startswith("a & b.")


def test_an_empty_card_still_renders_a_sendable_text() -> None:
    chunks = render(Card()).chunks
    assert visible(chunks[0]).strip()


def test_the_fake_refuses_what_telegram_refuses() -> None:
    for bad in ["<b>x", "<p>x</p>", "a < b", "<a>x</a>", "&nbsp;", "<b><i>x</b></i>"]:
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(bad)
    assert render(Card(fields=(Field("Heading", line("value")),))).chunks == (
        "<b>Heading</b>\nvalue",
    )


def test_sentences_end_at_punctuation_not_at_brackets() -> None:
    card = Card(
        body=((Text("/subscribe <topic> [--breaking] [--outlets N] — follow it.", "code"),),)
    )
    (chunk,) = render(card).chunks
    assert chunk.count("<code>") == 1

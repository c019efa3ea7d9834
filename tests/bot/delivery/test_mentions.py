"""A story's id read back from a post's small print in any catalog language, and notices
stored as messages said in the chat's language (plain-text rows as they are)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.catalogs import load_catalogs
from bot.core.notices import Notice, decode_notice, notice_words
from bot.core.words import FSI, PDI, WordBook, speaking
from bot.delivery.mentions import mentioned_story, story_mention


class Arabic:
    """The one message the pattern needs, as an Arabic catalog would have it."""

    def gettext(self, message: str, /) -> str:
        return "القصة %(story)s" if message == "story %(story)s" else message

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


BOOK = WordBook({**load_catalogs(), "ar": Arabic()})
PATTERN = story_mention(BOOK)


@pytest.mark.parametrize(
    ("text", "story"),
    [
        ("A story about floods [1]\n3 outlets · story k7q2", "k7q2"),
        ("Hochwasser [1]\n3 Medien · erstmals gemeldet 10. Jan. · Meldung m3x9", "m3x9"),
        (f"فيضان 🌧 [1]\n3 · القصة {FSI}ab12{PDI}\nملاحظة", "ab12"),
        ("Nothing here names one.", None),
        ("storyteller k7q2 · Meldungen x", None),
    ],
)
def test_the_footer_names_the_story_in_any_language(text: str, story: str | None) -> None:
    assert mentioned_story(text, PATTERN) == story


MOMENT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MSGID = "The news feed “%(feed)s” (%(url)s) has not answered since %(since)s"


def test_a_notice_round_trips_and_is_said_in_the_chats_words() -> None:
    notice = Notice(MSGID, {"feed": "Down", "url": "https://down.example/rss"}, {"since": MOMENT})
    body = notice.encode()
    assert decode_notice(body) == notice
    with speaking(BOOK.words("ar")):
        said = notice_words(body)
    assert f"{FSI}https://down.example/rss{PDI}" in said
    with speaking(BOOK.words("en")):
        assert notice_words(body).endswith("since 23 Nov 12:00 UTC")


@pytest.mark.parametrize(
    "body",
    ["The feed is failing.", "{not json", '{"values": {}}', '{"msgid": 3}', "[1, 2]"],
)
def test_a_body_that_is_not_a_stored_notice_is_sent_as_it_is(body: str) -> None:
    assert decode_notice(body) is None
    assert notice_words(body) == body


def test_a_notice_whose_values_do_not_fit_still_says_something() -> None:
    body = Notice(MSGID, {"feed": "Down"}).encode()  # url and since missing
    assert notice_words(body) == MSGID

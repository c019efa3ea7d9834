"""Recognising wire copies (``bot.stories.wire``): the same agency text under several
outlets, found while the original is active and forgotten once it leaves."""

from __future__ import annotations

from bot.stories.wire import WireIndex

AGENCY = (
    "The bridge collapsed early on Tuesday after a container ship lost power and struck one "
    "of its supports, sending vehicles and construction workers into the river below, "
    "officials said. Rescue teams searched the water for six people still missing as the "
    "port was closed to traffic until further notice, the coast guard said in a statement."
)
OTHER = (
    "The city council approved a new budget on Monday that raises spending on schools and "
    "parks while cutting the number of police officers, after a long debate that ran late "
    "into the night and drew hundreds of residents to the chamber to speak for and against."
)


def index_of(*texts: tuple[int, str]) -> WireIndex:
    wire = WireIndex(0.8)
    for article_id, text in texts:
        wire.add(article_id, WireIndex.fingerprint("Bridge collapses", text))
    return wire


def test_a_copy_is_found_trimmed_or_extended_and_an_unrelated_text_is_not() -> None:
    wire = index_of((1, AGENCY), (2, OTHER))
    trimmed = AGENCY.rsplit(",", 1)[0]
    assert wire.find_copy(WireIndex.fingerprint("Bridge collapses", trimmed)) == 1
    extended = AGENCY + " More to follow on this developing story from our own reporters."
    assert wire.find_copy(WireIndex.fingerprint("Bridge collapses", extended)) == 1
    assert wire.find_copy(WireIndex.fingerprint("Budget passes", OTHER[::-1])) is None


def test_the_earliest_of_several_copies_is_the_original() -> None:
    wire = index_of((5, AGENCY), (3, AGENCY), (9, AGENCY))
    assert wire.find_copy(WireIndex.fingerprint("Bridge collapses", AGENCY)) == 3


def test_a_short_text_is_a_copy_only_of_the_very_same_text() -> None:
    wire = index_of((1, "Bridge shut."), (2, "Bridge shut today."))
    assert wire.find_copy(WireIndex.fingerprint("Bridge collapses", "Bridge shut.")) == 1
    assert wire.find_copy(WireIndex.fingerprint("Bridge collapses", "Bridge reopened.")) is None


def test_a_removed_article_is_forgotten_and_its_copies_still_found() -> None:
    wire = index_of((1, AGENCY), (2, AGENCY), (3, OTHER))
    prints = WireIndex.fingerprint("Bridge collapses", AGENCY)
    wire.remove(1)
    assert wire.find_copy(prints) == 2
    wire.remove(2)
    wire.remove(2)  # twice: nothing left to forget
    assert wire.find_copy(prints) is None
    assert wire.find_copy(WireIndex.fingerprint("Bridge collapses", OTHER)) == 3
    wire.remove(3)
    # Every shingle is gone with its articles: the index does not grow with the history.
    assert wire._postings == {}
    assert wire._by_article == {}


def test_a_copy_under_its_own_headline_is_still_a_copy() -> None:
    # An outlet running agency copy writes its own headline: the title's shingles must
    # not decide, or a short copy's share depends on which shingles were sampled.
    original = WireIndex.fingerprint("Bridge collapses into river after ship strike", AGENCY)
    retitled = WireIndex.fingerprint("Baltimore bridge falls", AGENCY + " (AP)")
    assert original <= retitled
    wire = WireIndex(0.8)
    wire.add(1, original)
    assert wire.find_copy(retitled) == 1


def test_a_short_text_is_told_apart_by_its_title() -> None:
    # "Watch the video." under two headlines is two pieces, not a copy.
    video = WireIndex.fingerprint("Storm hits the coast", "Watch the video.")
    other = WireIndex.fingerprint("Team wins the cup final", "Watch the video.")
    wire = WireIndex(0.8)
    wire.add(1, video)
    assert wire.find_copy(other) is None
    assert wire.find_copy(WireIndex.fingerprint("Storm hits the coast", "Watch the video.")) == 1


def test_a_sampled_text_and_a_short_one_are_compared_on_what_both_kept() -> None:
    # The original's fingerprint is a sample (hashes that are multiples of four); its
    # trimmed copy had too few of those to sample and kept every shingle. Compared on
    # all of them, the copy shared five of the original's seven: under the copy share.
    original = frozenset(range(0, 28, 4))  # 7 sampled shingles
    trimmed = frozenset([0, 4, 8, 12, 16, *range(1, 160, 4)])  # 5 of them, and 40 others
    wire = WireIndex(0.8)
    wire.add(1, original)
    assert wire.find_copy(trimmed) == 1
    # Two shared sampled shingles are too few to call a text a copy.
    assert wire.find_copy(frozenset([0, 4, *range(1, 160, 4)])) is None
    # A short text sharing few of its sampled shingles is no copy either.
    assert wire.find_copy(frozenset([0, 4, 100, 104, 108, *range(1, 160, 4)])) is None

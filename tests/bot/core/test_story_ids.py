"""Short, typeable story ids."""

from __future__ import annotations

import random
import re

import pytest

from bot.core.story_ids import ALPHABET, new_story_id

ID_RE = re.compile(r"^[a-z0-9]{2,12}$")


def test_ids_are_four_unambiguous_characters_with_a_digit() -> None:
    rng = random.Random(7)
    ids = [new_story_id(rng, lambda _: False) for _ in range(500)]
    for sid in ids:
        assert ID_RE.fullmatch(sid)
        assert len(sid) == 4
        assert not set(sid) & set("0o1li")
        assert any(c.isdigit() for c in sid)
    assert len(set(ids)) > 450  # random, not a constant


def test_taken_ids_are_skipped() -> None:
    taken = {new_story_id(random.Random(1), lambda _: False)}
    sid = new_story_id(random.Random(1), taken.__contains__)
    assert sid not in taken


def test_ids_grow_when_short_ones_keep_colliding() -> None:
    sid = new_story_id(random.Random(3), lambda s: len(s) < 6)
    assert len(sid) == 6
    assert ID_RE.fullmatch(sid)


def test_every_id_taken_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match="no free story id"):
        new_story_id(random.Random(0), lambda _: True)


def test_alphabet_avoids_look_alikes() -> None:
    assert not set(ALPHABET) & set("0o1li")
    assert len(set(ALPHABET)) == len(ALPHABET)

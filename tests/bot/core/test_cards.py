"""Button actions: both encodings decode, every action fits the platforms' limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.cards import SECTION_MAX, VERSION_MAX, Action, ActionKind, section_key
from bot.core.story_ids import ALPHABET

TELEGRAM_CALLBACK_MAX_BYTES = 64
DISCORD_CUSTOM_ID_MAX = 100
DISCORD_PREFIX = "nb:"

story_ids = st.text(alphabet=ALPHABET, min_size=2, max_size=12)
kinds: st.SearchStrategy[ActionKind] = st.sampled_from(["expand", "sources", "mute"])


@st.composite
def actions(draw: st.DrawFn) -> Action:
    kind = draw(kinds)
    version = draw(st.none() | st.integers(0, VERSION_MAX))
    key = None
    if version is not None and draw(st.booleans()):
        key = section_key(draw(st.text(max_size=200)))
    return Action(
        kind,
        draw(story_ids),
        draw(st.none() | st.integers(0, SECTION_MAX)),
        version,
        key,
    )


@given(actions())
def test_every_action_round_trips_within_both_platforms_limits(action: Action) -> None:
    data = action.encode()
    assert Action.decode(data) == action
    assert len(data.encode()) <= TELEGRAM_CALLBACK_MAX_BYTES
    assert len(DISCORD_PREFIX + data) <= DISCORD_CUSTOM_ID_MAX
    assert data.isascii()


def test_the_longest_action_fits() -> None:
    action = Action("expand", "z9" * 6, SECTION_MAX, VERSION_MAX, section_key("x"))
    assert action.encode() == f"e:{'z9' * 6}:99@999999999.{section_key('x')}"
    assert len(action.encode()) == 34


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Buttons already sent before versions were encoded: posts keep them for ever.
        ("e:k7q2:2", Action("expand", "k7q2", 2)),
        ("e:k7q2", Action("expand", "k7q2")),
        ("s:k7q2", Action("sources", "k7q2")),
        ("m:k7q2", Action("mute", "k7q2")),
        # Today's.
        ("e:k7q2:2@7.mfzq4a", Action("expand", "k7q2", 2, 7, "mfzq4a")),
        ("s:k7q2@7", Action("sources", "k7q2", version=7)),
        ("e:k7q2:2@7", Action("expand", "k7q2", 2, 7)),
    ],
)
def test_both_formats_decode(data: str, expected: Action) -> None:
    assert Action.decode(data) == expected
    assert expected.encode() == data


@pytest.mark.parametrize(
    "data",
    [
        "",
        "x:k7q2",
        "e:K7Q2:1",
        "e:k:1",
        "e:k7q2k7q2k7q2k:1",
        "e:k7q2:123",
        "e:k7q2:1@",
        "e:k7q2:1@1234567890",
        "e:k7q2:1@7.MFZQ4A",
        "e:k7q2:1@7.mfzq4",
        "e:k7q2:1.mfzq4a",
        "e:k7q2:1@7.mfzq4a\n",
        "e:k7q2:1:2",
        "nb:e:k7q2:1",
    ],
)
def test_anything_else_is_not_ours(data: str) -> None:
    assert Action.decode(data) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"story_id": "K7Q2"},
        {"story_id": "k" * 13},
        {"section": SECTION_MAX + 1},
        {"version": VERSION_MAX + 1},
        {"key": "mfzq4a"},  # a key without the version it belongs to
        {"version": 1, "key": "mfzq"},
    ],
)
def test_an_action_that_would_not_decode_is_refused(bad: dict[str, object]) -> None:
    fields: dict[str, object] = {"kind": "expand", "story_id": "k7q2", "section": 1}
    fields.update(bad)
    with pytest.raises(ValueError, match=r"story id|range|key"):
        Action(**fields)  # type: ignore[arg-type]


def test_section_keys_ignore_case_width_and_spacing_only() -> None:
    assert section_key("Water Minister  Samir") == section_key("water minister samir")
    assert section_key("\uff33hatt") == section_key("shatt")  # a full-width S
    assert section_key("Shatt") != section_key("Summer heat")
    assert len(section_key("")) == 6

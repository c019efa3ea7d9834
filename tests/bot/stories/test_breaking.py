"""When a story becomes breaking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import ConfigError
from bot.stories.breaking import BreakingConfig, breaking_since

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_k_outlets_within_t_of_the_first_article_is_breaking_at_the_kth() -> None:
    reports = [("A", at(0)), ("B", at(40)), ("C", at(170))]
    assert breaking_since(reports, BreakingConfig()) == at(170)


def test_the_kth_outlet_after_t_is_not_breaking() -> None:
    reports = [("A", at(0)), ("B", at(40)), ("C", at(181))]
    assert breaking_since(reports, BreakingConfig()) is None


def test_repeated_reports_from_one_outlet_count_once() -> None:
    reports = [("A", at(0)), ("A", at(5)), ("A", at(10)), ("B", at(20))]
    assert breaking_since(reports, BreakingConfig()) is None


def test_order_of_reports_does_not_matter() -> None:
    reports = [("C", at(30)), ("A", at(0)), ("B", at(10))]
    assert breaking_since(reports, BreakingConfig()) == at(30)


def test_k_and_t_are_configurable() -> None:
    reports = [("A", at(0)), ("B", at(300))]
    assert breaking_since(reports, BreakingConfig(outlets=2, within_hours=6)) == at(300)
    assert breaking_since(reports, BreakingConfig(outlets=2, within_hours=4)) is None


def test_a_velocity_jump_on_a_slow_story_is_breaking() -> None:
    # One report a day for four days, then three outlets within half an hour.
    slow = [(f"S{d}", at(d * 24 * 60)) for d in range(4)]
    burst = [("X", at(5000)), ("Y", at(5010)), ("Z", at(5030))]
    config = BreakingConfig(outlets=50)  # breadth alone can never fire here
    assert breaking_since(slow + burst, config) == at(5030)


def test_a_steady_story_has_no_velocity_jump() -> None:
    steady = [(f"O{i}", at(i * 20)) for i in range(30)]
    assert breaking_since(steady, BreakingConfig(outlets=50)) is None


def test_velocity_can_be_switched_off() -> None:
    slow = [(f"S{d}", at(d * 24 * 60)) for d in range(4)]
    burst = [("X", at(5000)), ("Y", at(5010)), ("Z", at(5030))]
    config = BreakingConfig(outlets=50, velocity_outlets=0)
    assert breaking_since(slow + burst, config) is None


def test_no_reports_is_not_breaking() -> None:
    assert breaking_since([], BreakingConfig()) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outlets", 0),
        ("outlets", 2.5),
        ("outlets", True),
        ("within_hours", 0),
        ("within_hours", "3"),
        ("velocity_outlets", -1),
        ("velocity_window_hours", -1.0),
        ("velocity_factor", 0),
    ],
)
def test_bad_settings_are_config_errors_naming_the_key(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"breaking.{field}"):
        BreakingConfig(**{field: value})  # type: ignore[arg-type]

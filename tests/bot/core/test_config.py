"""Configuration: a bad value stops start-up with one sentence naming the key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.app.bootstrap import all_sections, validate
from bot.app.config import load_config
from bot.core.config import DatabaseConfig, load_section, parse_config
from bot.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def test_no_file_gives_the_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    config = load_config(None)
    assert config.database == DatabaseConfig()
    assert config.database.url.startswith("sqlite+aiosqlite:///")
    assert config.feeds == ()


def test_config_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[database]\nurl = "sqlite+aiosqlite:///x.db"\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(file))
    assert load_config(None).database.url == "sqlite+aiosqlite:///x.db"


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[watcher]\ninterval_s = "often"\n', "watcher.interval_s must be a number"),
        ("[watcher]\nintervall_s = 5\n", "watcher.intervall_s is not a setting"),
        ("[database]\nurl = 5\n", "database.url must be a string"),
        ('[[feeds]]\nname = "x"\n', "feeds[0].url is required"),
        ('[[feeds]]\nurl = "ftp://x"\n', "feeds[0].url must start with http"),
        ("feeds = 3\n", "feeds must be an array of tables"),
        ('[telegram]\nenabled = "yes"\n', "telegram.enabled must be true or false"),
        ("[nonsense]\nx = 1\n", "[nonsense] is not a section"),
        ('[logging]\nlevel = "LOUD"\n', "logging.level must be one of"),
        ("[delivery]\nmax_attempts = 2.5\n", "delivery.max_attempts must be a whole number"),
        ("[summarizer\n", "is not valid TOML"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, toml: str, fragment: str) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(toml)
    with pytest.raises(ConfigError) as err:
        validate(load_config(file))
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_load_section_converts_lists_and_optionals() -> None:
    @dataclasses.dataclass(frozen=True)
    class Sample:
        ids: tuple[int, ...] = ()
        limit: float | None = None

    assert load_section({"ids": [1, 2], "limit": 3}, Sample, "s") == Sample((1, 2), 3.0)
    with pytest.raises(ConfigError, match=r"s.ids\[1\] must be a whole number"):
        load_section({"ids": [1, "x"]}, Sample, "s")


def test_example_config_loads_and_documents_every_setting() -> None:
    example = ROOT / "config.example.toml"
    config = load_config(example)
    validate(config)
    text = example.read_text(encoding="utf-8")
    missing = []
    for section, cls in all_sections().items():
        header = re.search(rf"^\[{section}\]$", text, flags=re.MULTILINE)
        if header is None:
            missing.append(f"[{section}]")
            continue
        body = text[header.end() :].split("\n[", 1)[0]
        for field in dataclasses.fields(cls):
            if f"{field.name} =" not in body:
                missing.append(f"{section}.{field.name}")
    for key in ("[database]", "url =", "[[feeds]]", "allow_private", "[logging]"):
        if key not in text:
            missing.append(key)
    assert missing == [], "config.example.toml must document every setting"


def test_parse_config_keeps_adapter_sections_raw() -> None:
    config = parse_config({"telegram": {"enabled": False}})
    assert config.raw["telegram"] == {"enabled": False}

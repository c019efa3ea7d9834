"""Configuration: one TOML file, loaded once into frozen dataclasses.

Each section maps onto a frozen dataclass owned by the module it configures (the core's
here and in ``bot/``; the adapters' in ``adapters/``, mapped by the composition root).
``load_section`` checks names and types field by field, so a bad value stops start-up
with one sentence naming the key. Secrets never live here: they come from the
environment (``NEWSBOT_TELEGRAM_TOKEN``, ``NEWSBOT_DISCORD_TOKEN``, ``OPENAI_API_KEY``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.core.errors import ConfigError

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///newsbot.db"


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """TOML section [database]."""

    url: str = DEFAULT_DATABASE_URL


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One [[feeds]] entry: a feed the operator configured."""

    url: str
    name: str = ""
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """TOML section [logging]."""

    level: str = "INFO"


@dataclass(frozen=True)
class Config:
    """The whole file. Sections configured by adapters stay raw until the composition root
    maps them with ``section``; ``validate`` is called at load so errors surface at start."""

    path: Path | None
    raw: Mapping[str, Any]
    database: DatabaseConfig
    feeds: tuple[FeedConfig, ...]
    logging: LoggingConfig

    def section(self, name: str, cls: type[T]) -> T:
        return load_section(self.raw.get(name, {}), cls, name)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if errors else f"{key} has the wrong type")
    if origin is typing.Literal:
        if value not in args:
            allowed = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{key} must be one of {allowed}, not {value!r}.")
        return value
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list, not {value!r}.")
        item = args[0] if args else Any
        return tuple(_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, not {value!r}.")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be a whole number, not {value!r}.")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, not {value!r}.")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, not {value!r}.")
        return value
    raise ConfigError(f"{key} has a type newsbot cannot read ({_type_name(tp)}).")


def load_section(raw: Any, cls: type[T], name: str) -> T:
    """Build ``cls`` from a TOML table, naming the key of any wrong value."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"[{name}] must be a table of settings.")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"{name}.{unknown[0]} is not a setting newsbot knows (known: {known}).")
    values: dict[str, Any] = {}
    for field_name, f in fields.items():
        if field_name in raw:
            values[field_name] = _convert(
                raw[field_name], hints[field_name], f"{name}.{field_name}"
            )
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{name}.{field_name} is required.")
    try:
        instance = cls(**values)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"[{name}] is invalid: {err}") from err
    return typing.cast(T, instance)


CORE_SECTIONS = ("database", "feeds", "logging")


def parse_config(raw: Mapping[str, Any], path: Path | None = None) -> Config:
    feeds_raw = raw.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError("feeds must be an array of tables: write each as [[feeds]] with a url.")
    feeds = tuple(load_section(f, FeedConfig, f"feeds[{i}]") for i, f in enumerate(feeds_raw))
    for i, feed in enumerate(feeds):
        if not feed.url.startswith(("http://", "https://")):
            raise ConfigError(
                f"feeds[{i}].url must start with http:// or https://, not {feed.url!r}."
            )
    logging_config = load_section(raw.get("logging", {}), LoggingConfig, "logging")
    if logging_config.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("logging.level must be one of DEBUG, INFO, WARNING, ERROR.")
    return Config(
        path=path,
        raw=raw,
        database=load_section(raw.get("database", {}), DatabaseConfig, "database"),
        feeds=feeds,
        logging=logging_config,
    )

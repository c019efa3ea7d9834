"""Reading the configuration: the TOML file named on the command line or by
``NEWSBOT_CONFIG``. Mapping it onto sections is ``bot.core.config``'s job."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from bot.core.config import Config, parse_config
from bot.core.errors import ConfigError


def load_config(path: str | Path | None = None) -> Config:
    """Load the file named by ``path`` or ``NEWSBOT_CONFIG``; none at all gives the defaults."""
    chosen = path or os.environ.get("NEWSBOT_CONFIG")
    if not chosen:
        return parse_config({}, None)
    file = Path(chosen)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(f"the configuration file {file} does not exist.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"the configuration file {file} cannot be read: {err}.") from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file} is not valid TOML: {err}.") from err
    return parse_config(raw, file)

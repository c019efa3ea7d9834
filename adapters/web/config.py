"""The ``[web]`` section: the address of the story pages (``adapters.web.pages``).

Apart from the pages so that reading the configuration does not import Jinja2 (about
9 MB) in a bot that serves no pages, the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.errors import ConfigError

__all__ = ["WebConfig"]


@dataclass(frozen=True)
class WebConfig:
    """TOML ``[web]``."""

    public_url: str = ""  # e.g. https://news.example.org; empty: no story pages, no links

    def __post_init__(self) -> None:
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise ConfigError(
                    "web.public_url must be the http(s) address people reach the bot's "
                    f"HTTP server at, such as https://news.example.org, not {self.public_url!r}."
                )

    @property
    def enabled(self) -> bool:
        return bool(self.public_url)

"""The ``[telegram]`` section of the configuration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import ConfigError

# Telegram accepts 1-256 characters from this set as a webhook secret token.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MODES = ("polling", "webhook")


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """Settings of the Telegram adapter (TOML ``[telegram]``; the token comes from the env)."""

    enabled: bool = False
    base_url: str = "https://api.telegram.org/bot"
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_max_body_bytes: int = 1_000_000
    poll_timeout_s: int = 30
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 15.0
    drop_pending_updates: bool = False
    max_inline_wait_s: float = 3.0

    def validate(self, *, token: str, webhook_secret: str | None) -> None:
        """Raise ``ConfigError`` naming the first wrong key."""
        if not token or any(c.isspace() for c in token) or "/" in token:
            raise ConfigError("NEWSBOT_TELEGRAM_TOKEN is missing or malformed.")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError("telegram.base_url must start with http:// or https://.")
        if self.mode not in MODES:
            raise ConfigError(f"telegram.mode must be one of {', '.join(MODES)}.")
        if self.poll_timeout_s < 0 or self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ConfigError("telegram timeouts must be positive.")
        if self.mode != "webhook":
            return
        # Only a self-hosted Bot API server (--local) may call a plain-http webhook.
        official = self.base_url.startswith("https://api.telegram.org/")
        schemes = ("https://",) if official else ("https://", "http://")
        if not self.webhook_url.startswith(schemes):
            raise ConfigError("telegram.webhook_url must be a public https:// URL in webhook mode.")
        if not self.webhook_path.startswith("/"):
            raise ConfigError("telegram.webhook_path must start with /.")
        if not 0 < self.webhook_port < 65536:
            raise ConfigError("telegram.webhook_port must be a TCP port (1-65535).")
        if webhook_secret is None or not _SECRET.match(webhook_secret):
            raise ConfigError(
                "NEWSBOT_TELEGRAM_WEBHOOK_SECRET must be set in webhook mode "
                "(1-256 characters: letters, digits, _ and -)."
            )

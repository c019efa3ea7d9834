"""Configuration of the Discord adapter (TOML section ``[discord]``)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg"


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    """Knobs of the Discord adapter; the token comes from ``NEWSBOT_DISCORD_TOKEN``.

    TOML has no null, so ``dev_guild_id = 0`` and ``shard_count = 0`` mean "unset"
    (global command sync; one connection or Discord's recommended shard count).
    """

    enabled: bool = False
    application_id: int = 0
    # Commands synced to one guild appear at once; global sync can take a while.
    dev_guild_id: int | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] = ()
    api_base_url: str = DEFAULT_API_BASE_URL
    gateway_url: str = DEFAULT_GATEWAY_URL
    # Interactions must be answered within 3 s; past this the answer is deferred.
    defer_after_s: float = 2.0
    # Autocomplete cannot be deferred: past this it answers with no choices.
    autocomplete_timeout_s: float = 2.0
    # How long start() waits for the gateway READY before failing.
    ready_timeout_s: float = 60.0
    # Waiting for GUILD_CREATE of every guild before "ready" (discord.py default is 2 s).
    guild_ready_timeout_s: float = 2.0
    # A 429 asking to wait longer than this becomes a TransientDeliveryError instead of a
    # wait inside discord.py (which raises values under 30 s to 30).
    max_ratelimit_wait_s: float = 30.0

    @property
    def dev_guild(self) -> int | None:
        return self.dev_guild_id or None

    @property
    def shards(self) -> int | None:
        return self.shard_count or None

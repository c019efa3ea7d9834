"""The ``[delivery]`` settings: claims, leases, attempts, backoff and the nonce window
that makes a resend after a crash safe."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """TOML section [delivery]."""

    batch_size: int = 200  # rows claimed per pass
    lease_s: float = 300.0  # a crashed sender's rows return to the queue after this
    max_attempts: int = 8
    max_in_flight: int = 50
    backoff_base_s: float = 2.0
    backoff_max_s: float = 900.0
    idempotent_platforms: tuple[str, ...] = ("discord",)  # resends dedupe by nonce
    # How long those platforms dedupe a nonce: Discord says "the past few minutes"; we
    # count on far less. A message whose first request is older is never resent blindly.
    nonce_window_s: float = 120.0
    # A row being sent returns to the queue after this when its sender died. Shorter than
    # the nonce window, so the resend still falls inside it.
    send_lease_s: float = 30.0
    # How often a pass checks this process is still each platform's elected sender.
    sender_check_s: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.send_lease_s < self.nonce_window_s:
            raise ConfigError(
                "[delivery] send_lease_s must be positive and shorter than nonce_window_s, "
                "or a resend after a crash would no longer be deduplicated."
            )

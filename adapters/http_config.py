"""The ``[http]`` section: where the operators' server listens (``adapters.http_server``).

Apart from the server so that reading the configuration does not import prometheus_client
(about 12 MB) in a bot whose server is off, the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import ConfigError

__all__ = ["HttpConfig", "parse_listen"]

_HOST_PORT = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:\[\]/]+)):(?P<port>\d{1,5})$"
)


def parse_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9108"`` or ``"[::1]:9108"`` as (host, port); port 0 picks a free one."""
    match = _HOST_PORT.match(listen)
    port = int(match["port"]) if match else -1
    if match is None or not 0 <= port <= 65535:
        raise ConfigError(
            f"http.listen must be HOST:PORT such as 127.0.0.1:9108 (or empty to turn the "
            f"server off), not {listen!r}."
        )
    return match["v6"] or match["host"], port


@dataclass(frozen=True)
class HttpConfig:
    """TOML ``[http]``."""

    listen: str = ""  # HOST:PORT for /healthz, /readyz and /metrics; empty: no server
    ready_timeout_s: float = 5.0  # /readyz answers 503 when its checks take longer

    def __post_init__(self) -> None:
        if self.listen:
            parse_listen(self.listen)
        if isinstance(self.ready_timeout_s, bool) or not self.ready_timeout_s > 0:
            raise ConfigError(f"http.ready_timeout_s must be > 0, not {self.ready_timeout_s!r}.")

    @property
    def enabled(self) -> bool:
        return bool(self.listen)

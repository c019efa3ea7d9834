"""The one exception tree of newsbot.

Adapters wrap library errors (``raise FetchError(...) from err``) so that the core
only ever sees these. Only the job runner and ``__main__`` catch broadly.

    NewsbotError
    ├── ConfigError            a bad configuration value; names the key (exit 2)
    ├── StorageError           the database failed or refused an operation
    │   └── SingleWriterError  a second process on a database that cannot share work
    ├── FeedError              something about one feed
    │   ├── FetchError         network, HTTP status, size or time limit, refused address
    │   │   └── UnsafeURLError the address is not allowed (private, loopback, bad scheme)
    │   └── FeedParseError     the body is not a usable feed; ``reason`` says why in words
    ├── SummaryError           a summariser could not produce a grounded summary
    ├── ModelError             a chat model call failed; ``reason`` says how in a word
    │   ├── TransientModelError      may work later (timeout, 429, 5xx, connection)
    │   └── PermanentModelError      will not work as asked (4xx, not a chat completion)
    ├── DeliveryError          a platform refused or failed a send or an edit
    │   ├── TransientDeliveryError   retry later (429, 5xx, connection); may carry retry_after
    │   ├── PermanentDeliveryError   chat gone, bot blocked or removed, permissions lost
    │   └── AmbiguousDeliveryError   the request may have been applied; the answer was lost
    └── CommandError           a person's command was wrong; the message is shown to them
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Root of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """A configuration value is missing or wrong. The message is one sentence naming the key."""


class StorageError(NewsbotError):
    """The database failed or refused an operation."""


class SingleWriterError(StorageError):
    """Another process already runs against a database that cannot share work (SQLite)."""


class FeedError(NewsbotError):
    """Something went wrong with one feed."""


class FetchError(FeedError):
    """A feed (or page) could not be fetched. ``reason`` is short words for people."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        transient: bool = True,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.transient = transient
        self.retry_after = retry_after  # the raw Retry-After header, when the server sent one


class UnsafeURLError(FetchError):
    """The URL or the address it resolves to is not allowed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class FeedParseError(FeedError):
    """The body is not a usable feed. ``reason`` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SummaryError(NewsbotError):
    """A summariser could not produce a grounded summary."""


class OffloadError(NewsbotError):
    """A worker process ran out of time or died before it returned."""


class ModelError(NewsbotError):
    """A chat model call failed. ``reason`` is one word for logs and metrics (``timeout``,
    ``rate_limited``, ``server_error``, ``refused``, ``connection``, ...); ``status`` is the
    HTTP status when the endpoint answered with one."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TransientModelError(ModelError):
    """The same call may succeed later: a timeout, a 429, a 5xx, a lost connection."""


class PermanentModelError(ModelError):
    """The endpoint refuses the call as made (a 4xx) or does not answer like a chat model."""


class DeliveryError(NewsbotError):
    """A platform refused or failed a send or an edit."""


class TransientDeliveryError(DeliveryError):
    """Try again later; ``retry_after`` (seconds) when the platform said how long."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The destination is gone or refuses us; the subscription should be paused."""


class AmbiguousDeliveryError(DeliveryError):
    """The platform may have applied the request but the answer was lost."""


class CommandError(NewsbotError):
    """A person's command was wrong. ``str(err)`` is the one-line explanation shown to them."""

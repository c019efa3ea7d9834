"""python-telegram-bot errors as newsbot delivery errors.

PTB has no rate limiter unless one is installed, so a 429 surfaces here as ``RetryAfter``
and the delivery stage decides when to retry. The cause of a network error says whether
the request left the machine: a refused connection was never applied, a lost answer
might have been.
"""

from __future__ import annotations

import datetime as dtm
import warnings

import httpx
from telegram import error as tg
from telegram.warnings import PTBDeprecationWarning

from bot.core.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

# Substrings of Telegram's 400 descriptions that mean "this chat is gone for us".
_GONE = (
    "chat not found",
    "bot was kicked",
    "bot is not a member",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
    "message thread not found",
    "topic_deleted",
    "topic_closed",
    "group chat was deactivated",
    "user is deactivated",
    "peer_id_invalid",
)
# Failures that happen before the request is written: nothing reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def retry_after_s(err: tg.RetryAfter) -> float:
    """Seconds to wait, whichever of int or timedelta this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def is_not_modified(err: tg.TelegramError) -> bool:
    return isinstance(err, tg.BadRequest) and "message is not modified" in err.message.lower()


def is_parse_error(err: tg.TelegramError) -> bool:
    return isinstance(err, tg.BadRequest) and "can't parse entities" in err.message.lower()


def delivery_error(err: tg.TelegramError) -> DeliveryError:
    """The newsbot error for a PTB error raised by a send or an edit."""
    reason = f"telegram: {err.message}"
    if isinstance(err, tg.RetryAfter):
        return TransientDeliveryError(reason, retry_after=retry_after_s(err))
    if isinstance(err, tg.Forbidden):
        return PermanentDeliveryError(reason)
    if isinstance(err, tg.ChatMigrated):
        return PermanentDeliveryError(f"telegram: group migrated to {err.new_chat_id}")
    if isinstance(err, tg.BadRequest):
        if any(marker in err.message.lower() for marker in _GONE):
            return PermanentDeliveryError(reason)
        # Anything else is a message we should not have sent: resending it cannot help,
        # but the chat is fine, so it is a failed delivery, not a reason to pause.
        return DeliveryError(f"telegram refused the message: {err.message}")
    if isinstance(err, tg.InvalidToken):
        return TransientDeliveryError("telegram rejected the bot token")
    if isinstance(err, tg.TimedOut | tg.NetworkError):
        cause = err.__cause__
        if isinstance(cause, _NOT_SENT) or "Pool timeout" in err.message:
            return TransientDeliveryError(reason)
        if cause is None and not isinstance(err, tg.TimedOut):
            # An HTTP error status (5xx) came back: Telegram answered and refused.
            return TransientDeliveryError(reason)
        return AmbiguousDeliveryError(reason)
    return TransientDeliveryError(reason)

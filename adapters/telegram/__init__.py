"""Telegram adapter (python-telegram-bot): commands, buttons and story posts in HTML."""

import os

# Opt in to PTB's coming behaviour (durations as timedelta). Without it PTB warns on every
# 429 it parses, and under warnings-as-errors that warning would replace the RetryAfter.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from adapters.telegram.messenger import TelegramMessenger

__all__ = ["TelegramAdapter", "TelegramConfig", "TelegramMessenger"]

"""What the LLM summariser needs from storage: the daily token budget, shared.

``storage.SqlStorage`` implements it, so every process sharing a database draws on one
budget that survives restarts. ``MemoryBudget`` (``bot.summaries.budget``) is the same
contract in memory, for one process without a database (tests, evaluation). Methods raise
``StorageError`` when the database fails; the summariser then falls back to extractive.
"""

from __future__ import annotations

from typing import Protocol

from bot.summaries.translation import Translation


class BudgetStore(Protocol):
    """Tokens reserved or used per UTC day (``YYYY-MM-DD``)."""

    async def reserve_tokens(self, day: str, tokens: int, budget: int) -> bool:
        """Called by ``LLMSummarizer`` before each model call with the call's estimated
        tokens. Adds ``tokens`` to the day's total and returns True only if the total stays
        within ``budget``; otherwise changes nothing and returns False. Atomic: concurrent
        reservations from any number of processes never take the total past ``budget``."""
        ...

    async def settle_tokens(self, day: str, reserved: int, used: int) -> None:
        """Called after the call with the tokens it really used (0 when it failed before
        the model answered): replaces the reservation made for ``day`` by ``used``. The
        total may then exceed the budget by what the estimate fell short; later
        reservations see it."""
        ...

    async def tokens_used(self, day: str) -> int:
        """The day's total (reserved and settled); 0 for a day without calls."""
        ...


class TranslationStore(Protocol):
    """Translated summaries, one per (story, summary version, language), shared by every
    chat of that language (``bot.summaries.translator.Translator``)."""

    async def translated_languages(self, story_id: str, story_version: int) -> set[str]:
        """Called by ``Translator.translate`` before it asks the model. Returns the
        languages this story version already has a stored translation in."""
        ...

    async def save_translation(self, translation: Translation) -> None:
        """Called after a translation call. Stores ``translation.summary`` under its
        story id, version and ``translation.language``, replacing one stored before."""
        ...

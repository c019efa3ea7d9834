"""The LLM's daily token budget counted in memory, for one process without a database;
``storage`` keeps the shared one (``bot.summaries.ports.BudgetStore``)."""

from __future__ import annotations


class MemoryBudget:
    """A :class:`bot.summaries.ports.BudgetStore` in memory: one process, no database
    (tests, evaluation). Counts like the stored budget, and forgets on restart."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    async def reserve_tokens(self, day: str, tokens: int, budget: int) -> bool:
        total = self.used.get(day, 0) + tokens
        if total > budget:
            return False
        self.used[day] = total
        return True

    async def settle_tokens(self, day: str, reserved: int, used: int) -> None:
        self.used[day] = self.used.get(day, 0) - reserved + used

    async def tokens_used(self, day: str) -> int:
        return self.used.get(day, 0)

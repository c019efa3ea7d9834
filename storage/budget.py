"""The LLM token budget per UTC day, shared by every process on the database.

A reservation is one conditional UPDATE (``used + n <= budget``): on PostgreSQL concurrent
ones queue on the day's row lock and each re-checks the condition against the committed
total, so together they never pass the budget; SQLite has one writer anyway.
"""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import SqlBase
from storage.models import LlmBudgetRow


class BudgetStorage(SqlBase):
    async def reserve_tokens(self, day: str, tokens: int, budget: int) -> bool:
        async def work(s: AsyncSession) -> bool:
            await s.execute(
                self.insert(LlmBudgetRow)
                .values(day=day, used=0)
                .on_conflict_do_nothing(index_elements=["day"])
            )
            result = await s.execute(
                update(LlmBudgetRow)
                .where(LlmBudgetRow.day == day, LlmBudgetRow.used + tokens <= budget)
                .values(used=LlmBudgetRow.used + tokens)
            )
            return bool(getattr(result, "rowcount", 0))

        granted: bool = await self.run(work)
        return granted

    async def settle_tokens(self, day: str, reserved: int, used: int) -> None:
        settled = LlmBudgetRow.used - reserved + used

        async def work(s: AsyncSession) -> None:
            await s.execute(
                update(LlmBudgetRow)
                .where(LlmBudgetRow.day == day)
                .values(used=case((settled < 0, 0), else_=settled))
            )

        await self.run(work)

    async def tokens_used(self, day: str) -> int:
        async def work(s: AsyncSession) -> int:
            found = await s.execute(select(LlmBudgetRow.used).where(LlmBudgetRow.day == day))
            return int(found.scalar_one_or_none() or 0)

        result: int = await self.run(work)
        return result

"""LLM tokens each community's questions used, per UTC day (``/usage``, scope budgets)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import SqlBase
from storage.models import ScopeUsageRow


class UsageStorage(SqlBase):
    async def add_scope_usage(self, scope: str, day: str, tokens: int, cost_micro_usd: int) -> None:
        async def work(s: AsyncSession) -> None:
            statement = self.insert(ScopeUsageRow).values(
                scope=scope, day=day, tokens=tokens, cost_micro_usd=cost_micro_usd
            )
            # One statement, so processes adding at once never lose each other's tokens.
            await s.execute(
                statement.on_conflict_do_update(
                    index_elements=["scope", "day"],
                    set_={
                        "tokens": ScopeUsageRow.tokens + statement.excluded.tokens,
                        "cost_micro_usd": ScopeUsageRow.cost_micro_usd
                        + statement.excluded.cost_micro_usd,
                    },
                )
            )

        await self.run(work)

    async def scope_usage(self, scope: str, since_day: str) -> list[tuple[str, int, int]]:
        async def work(s: AsyncSession) -> list[tuple[str, int, int]]:
            rows = await s.execute(
                select(ScopeUsageRow.day, ScopeUsageRow.tokens, ScopeUsageRow.cost_micro_usd)
                .where(ScopeUsageRow.scope == scope, ScopeUsageRow.day >= since_day)
                .order_by(ScopeUsageRow.day)
            )
            return [(day, tokens, cost) for day, tokens, cost in rows]

        result: list[tuple[str, int, int]] = await self.run(work)
        return result

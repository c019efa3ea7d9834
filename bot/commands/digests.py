"""``/subscribe <topic> --digest daily 08:00``: a subscription in digest mode.

The option is read here, before the topic parser sees the rest; the subscription itself is
made by ``SubscriptionCommands.subscribe``. Without the option a subscription is (again)
posted story by story.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.commands.base import Invocation
from bot.commands.subscriptions import SubscriptionCommands
from bot.core.cards import Card, line
from bot.core.clock import as_utc
from bot.core.domain import Destination, Digest
from bot.core.words import _, isolate, spoken
from bot.delivery.schedules import next_due, parse_schedule, take_digest
from bot.stories.topics import DEFAULT_MIN_OUTLETS, parse_topic


class DigestCommands(SubscriptionCommands):
    async def _subscribe_with_digest(self, inv: Invocation, args: str) -> Card:
        rest, schedule = take_digest(args)
        answer = await self._subscribe_text(inv, rest)
        query = parse_topic(rest)  # read already by subscribe: it did not raise
        topic = str(replace(query, breaking_only=False, min_outlets=DEFAULT_MIN_OUTLETS))
        subs = [
            s
            for s in await self.storage.subscriptions_for(inv.destination)
            if s.topic.casefold() == topic.casefold()
        ]
        if not subs:
            return answer
        sub = subs[0]
        if schedule is None:
            if await self.storage.clear_digest(sub.id):
                return _add_line(answer, _("Digest mode is off: each story is posted again."))
            return answer
        settings = await self.storage.chat_settings(inv.destination)
        now = self.clock.now()
        due = as_utc(next_due(schedule, now, settings.timezone))
        await self.storage.set_digest(sub.id, str(schedule), next_due_at=due, covers_from=now)
        local = due.astimezone(ZoneInfo(settings.timezone))
        words = spoken()
        when = (
            local.strftime("%a %d %b %H:%M")
            if words.english
            else words.local_moment(local, with_day=True)
        )
        return _add_line(
            answer,
            _(
                "Digest mode: one message %(schedule)s (%(zone)s) instead of each story; "
                "the first on %(when)s. /settings timezone changes the zone.",
                schedule=isolate(str(schedule)),
                zone=isolate(settings.timezone),
                when=when,
            ),
        )

    async def reschedule_digests(self, destination: Destination, timezone: str) -> int:
        """The chat's zone changed: its digests keep their wall-clock time in the new zone."""
        now = self.clock.now()
        digests: list[Digest] = await self.storage.digests_for(destination)
        for digest in digests:
            due = as_utc(next_due(parse_schedule(digest.schedule), now, timezone))
            await self.storage.set_digest(
                digest.subscription.id,
                digest.schedule,
                next_due_at=due,
                covers_from=digest.covers_from,
            )
        return len(digests)


def _add_line(answer: Card, text: str) -> Card:
    return replace(answer, body=(*answer.body, line(text)))

"""Commands that change or list what a chat follows."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.base import MAX_TOPIC_CHARS, TOPIC_HINT, CommandBase, Invocation, card, log
from bot.core.cards import Card, Line, Text
from bot.core.domain import Destination, Story, Subscription
from bot.core.errors import CommandError
from bot.core.locales import parse_language
from bot.core.words import _, isolate, n_, numeral
from bot.delivery.render import story_line
from bot.stories.matching import match_subscriptions
from bot.stories.topics import DEFAULT_MIN_OUTLETS, parse_topic
from bot.text.sentences import shorten


def plan_words(*, breaking_only: bool, min_outlets: int, only_ours: bool) -> str:
    """What a subscription will post, as whole sentences (each language words them its
    own way)."""
    if breaking_only and only_ours:
        return n_(
            "I'll post breaking stories with at least %(count)s outlet here, "
            "from this chat's own feeds only.",
            "I'll post breaking stories with at least %(count)s outlets here, "
            "from this chat's own feeds only.",
            min_outlets,
        )
    if breaking_only:
        return n_(
            "I'll post breaking stories with at least %(count)s outlet here, "
            "from the operator's and this chat's feeds.",
            "I'll post breaking stories with at least %(count)s outlets here, "
            "from the operator's and this chat's feeds.",
            min_outlets,
        )
    if only_ours:
        return n_(
            "I'll post new stories with at least %(count)s outlet here, "
            "from this chat's own feeds only.",
            "I'll post new stories with at least %(count)s outlets here, "
            "from this chat's own feeds only.",
            min_outlets,
        )
    return n_(
        "I'll post new stories with at least %(count)s outlet here, "
        "from the operator's and this chat's feeds.",
        "I'll post new stories with at least %(count)s outlets here, "
        "from the operator's and this chat's feeds.",
        min_outlets,
    )


class SubscriptionCommands(CommandBase):
    async def _subscribe_text(self, inv: Invocation, args: str) -> Card:
        # Options (--breaking, --outlets N) are part of the topic syntax; subscribe reads them.
        return await self.subscribe(inv, args)

    async def subscribe(
        self,
        inv: Invocation,
        topic: str,
        *,
        breaking_only: bool = False,
        min_outlets: int = 2,
        only_ours: bool = False,
        ping_role: str | None = None,
    ) -> Card:
        self._require_manage(inv)
        if not topic.strip():
            raise CommandError(_(TOPIC_HINT))
        if len(topic) > MAX_TOPIC_CHARS:
            raise CommandError(
                _(
                    "That topic is too long (at most %(count)s characters). %(hint)s",
                    count=numeral(MAX_TOPIC_CHARS),
                    hint=_(TOPIC_HINT),
                )
            )
        if not 1 <= min_outlets <= 50:
            raise CommandError(_("The minimum number of outlets must be between 1 and 50."))
        query = parse_topic(topic)
        breaking_only = breaking_only or query.breaking_only
        only_ours = only_ours or query.only_ours
        if query.min_outlets != DEFAULT_MIN_OUTLETS:
            min_outlets = query.min_outlets
        # Options live in their own columns; the stored topic is the query alone.
        shown = str(
            replace(query, breaking_only=False, min_outlets=DEFAULT_MIN_OUTLETS, only_ours=False)
        )
        hint = parse_language(inv.language_hint) if inv.language_hint else None
        if hint:
            await self.storage.note_language_hint(inv.destination, hint)
        subscription, created = await self.storage.add_subscription(
            inv.destination,
            shown,
            breaking_only=breaking_only,
            min_outlets=min_outlets,
            scope=inv.feed_scope,
            only_ours=only_ours,
            ping_role=ping_role,
        )
        matching = await self._matching_stories(subscription)
        if created:
            done = _("Subscribed this chat to %(topic)s.", topic=shown)
        else:
            done = _("Updated the subscription of this chat to %(topic)s.", topic=shown)
        lines: list[Line | str] = [done]
        if matching:
            lines.append(
                n_(
                    "%(count)s current story matches; the latest:",
                    "%(count)s current stories match; the latest:",
                    len(matching),
                )
            )
            lines.extend(story_line(s) for s in matching[:2])
            if created:
                # A new subscription gets the newest matching story now, not a flood.
                await self.storage.enqueue_deliveries(
                    matching[0], [subscription], now=self.clock.now()
                )
                lines.append(_("I'm posting %(story)s here now.", story=isolate(matching[0].id)))
        else:
            lines.append(_("No current story matches yet."))
        lines.append(
            plan_words(breaking_only=breaking_only, min_outlets=min_outlets, only_ours=only_ours)
        )
        if ping_role:
            lines.append(
                _(
                    "Each story's first post mentions %(role)s; edits don't.",
                    role=isolate(f"<@&{ping_role}>"),
                )
            )
        return card(*lines)

    async def _matching_stories(self, subscription: Subscription) -> list[Story]:
        """Current stories the new subscription would get, as its scope sees them."""
        scopes = await self._visible_feeds()
        found: list[Story] = []
        for story in await self.storage.recent_stories(200, min_outlets=subscription.min_outlets):
            articles = await self.storage.get_articles(story.article_ids)
            if match_subscriptions(story, articles, [subscription], scopes):
                found.append(story)
        return found

    async def unsubscribe(self, inv: Invocation, topic: str) -> Card:
        self._require_manage(inv)
        if not topic.strip():
            raise CommandError(
                _("Tell me which topic to stop, e.g. /unsubscribe iraq. /subscriptions lists them.")
            )
        try:
            shown = str(parse_topic(topic))
        except CommandError:
            shown = topic.strip()
        removed = await self.storage.remove_subscription(inv.destination, shown)
        if not removed:
            raise CommandError(
                _(
                    "This chat isn't subscribed to %(topic)s. /subscriptions lists its topics.",
                    topic=shorten(shown, 60),
                )
            )
        return card(_("Unsubscribed this chat from %(topic)s.", topic=shown))

    async def subscriptions(self, inv: Invocation) -> Card:
        subs = await self.storage.subscriptions_for(inv.destination)
        if not subs:
            return card(_("This chat follows no topic yet. %(hint)s", hint=_(TOPIC_HINT)))
        lines: list[Line | str] = [_("This chat follows:")]
        digests = {
            d.subscription.id: d.schedule for d in await self.storage.digests_for(inv.destination)
        }
        for sub in subs:
            if sub.id in digests:
                mode = _("digest %(schedule)s", schedule=str(digests[sub.id]))
            else:
                mode = _("each story")
            options = [
                mode,
                n_("at least %(count)s outlet", "at least %(count)s outlets", sub.min_outlets),
            ]
            if sub.breaking_only:
                options.append(_("breaking only"))
            if sub.only_ours:
                options.append(_("own feeds only"))
            if sub.ping_role:
                options.append(_("pings a role"))
            if sub.paused:
                options.append(_("paused"))
            lines.append((Text("• "), Text(sub.topic, "bold"), Text(f" ({', '.join(options)})")))
        return card(*lines)

    async def topics_of(self, destination: Destination) -> list[str]:
        return [sub.topic for sub in await self.storage.subscriptions_for(destination)]

    async def pause_destination(self, destination: Destination) -> int:
        paused = await self.storage.set_paused(destination, True)
        log.warning("destination.paused dest=%s subscriptions=%d", destination.key, paused)
        return paused

    async def resume_destination(self, destination: Destination) -> int:
        """The bot is back in a chat it was removed from: its subscriptions run again."""
        resumed = await self.storage.set_paused(destination, False)
        log.info("destination.resumed dest=%s subscriptions=%d", destination.key, resumed)
        return resumed

    async def move_destination(self, old: Destination, new: Destination) -> None:
        moved = await self.storage.move_destination(old, new)
        log.info("destination.moved old=%s new=%s subscriptions=%d", old.key, new.key, moved)

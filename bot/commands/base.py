"""What every command handler shares: who asked, where, and the core's services."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands.limits import LimitsConfig, PersonLimiter, wait_words
from bot.commands.ports import CommandStore, FeedProbe, OpmlCodec, ScopeUsageStore
from bot.core.cards import Card, Line, line
from bot.core.domain import (
    OPERATOR_SCOPE,
    Article,
    Destination,
    Feed,
    Story,
    Summary,
    default_scope,
    scope_sees,
)
from bot.core.errors import CommandError, NewsbotError
from bot.core.locales import DEFAULT_LANGUAGE, choose_language
from bot.core.ports import Clock, Summarizer
from bot.core.words import N_, WordBook, Words, _, n_, spoken
from bot.delivery.render import compact_story
from bot.delivery.translated import SummaryReader
from bot.stories.matching import feed_scopes

log = logging.getLogger("newsbot.commands")

TOPIC_HINT = N_(
    'Tell me what to follow, e.g. /subscribe iraq, /subscribe "al asad" OR baghdad, '
    "/subscribe iraq -football."
)
LATEST_HINT = N_("/latest shows recent stories and their ids.")
MAX_TOPIC_CHARS = 200
MAX_QUESTION_CHARS = 500
LATEST_COUNT = 5
LANGUAGE_TTL_S = 60.0  # a chat's language, remembered between its commands
MAX_REMEMBERED_CHATS = 10_000


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who typed a command where. The adapter decides ``can_manage`` by platform rules,
    and ``scope`` when the chat belongs to a larger community (a Discord server)."""

    destination: Destination
    user_id: str
    can_manage: bool
    is_private: bool = False
    scope: str | None = None
    # The platform's locale: Telegram's user ``language_code``, a Discord server's
    # ``preferred_locale`` (a DM's: the person's). A chat that chose none is shown in it.
    language_hint: str | None = None

    @property
    def feed_scope(self) -> str:
        """The community whose feeds this chat adds, removes and sees."""
        if self.scope:
            return self.scope
        return default_scope(self.destination.platform, self.destination.chat_id)


def card(*lines: Line | str) -> Card:
    return Card(body=tuple(line(x) if isinstance(x, str) else x for x in lines))


class CommandBase:
    """The services command handlers use; the handler groups extend it."""

    def __init__(
        self,
        *,
        storage: CommandStore,
        summarizer: Summarizer,
        clock: Clock,
        feed_probe: FeedProbe | None = None,
        public_url: str = "",
        limits: LimitsConfig | None = None,
        opml: OpmlCodec | None = None,
        usage: ScopeUsageStore | None = None,
        fallback: Summarizer | None = None,
        default_language: str = DEFAULT_LANGUAGE,
        words: WordBook | None = None,
    ) -> None:
        self.storage = storage
        self.summarizer = summarizer
        self.clock = clock
        self.feed_probe = feed_probe
        self.public_url = public_url.rstrip("/")
        self.limits = limits or LimitsConfig()
        self.opml = opml
        # Per-scope LLM use: stored by ``usage``; over a scope's budget, questions are
        # answered by ``fallback`` (the extractive summariser) instead.
        self.usage = usage
        self.fallback = fallback
        self.default_language = default_language
        # The bot's words per language (the catalogs ``adapters/catalogs.py`` loads).
        self.words = words or WordBook()
        self._languages: dict[Destination, tuple[str, float]] = {}
        self._questions = PersonLimiter(self.limits.questions_per_hour)
        self._answers = PersonLimiter(self.limits.answers_per_hour)

    def _take(self, limiter: PersonLimiter, inv: Invocation, what: str) -> None:
        """Count one question or answer for the person; refuse with when to try again."""
        now = self.clock.now()
        until = limiter.take(f"{inv.destination.platform}:{inv.user_id}", now)
        if until is not None:
            if what == "questions":
                reached = n_(
                    "You've reached %(count)s question an hour.",
                    "You've reached %(count)s questions an hour.",
                    limiter.per_hour,
                )
            else:
                reached = n_(
                    "You've reached %(count)s answer an hour.",
                    "You've reached %(count)s answers an hour.",
                    limiter.per_hour,
                )
            raise CommandError(
                _("%(reached)s Try again %(when)s.", reached=reached, when=wait_words(now, until))
            )

    async def _visible_feeds(self) -> dict[int, frozenset[str]]:
        """Feed id to scopes, for limiting what a chat is shown to what its scope sees."""
        return feed_scopes(await self.storage.list_feeds())

    async def _visible(
        self, inv: Invocation, story: Story, scopes: dict[int, frozenset[str]]
    ) -> list[Article]:
        """The story's articles the chat's scope can see (none: the story is not its)."""
        articles = await self.storage.get_articles(story.article_ids)
        return [
            a
            for a in articles
            if scope_sees(inv.feed_scope, scopes.get(a.feed_id, frozenset({OPERATOR_SCOPE})))
        ]

    def _scope_feeds(self, feeds: list[Feed], inv: Invocation) -> list[Feed]:
        return [feed for feed in feeds if inv.feed_scope in feed.scopes]

    def reader(self) -> SummaryReader:
        """Reads summaries in the language being spoken (a command's own: it remembers
        the translations it read for as long as the command runs)."""
        return SummaryReader(self.storage)

    async def in_chat_language(
        self, summary: Summary, reader: SummaryReader | None = None
    ) -> tuple[Summary, str | None]:
        """``summary`` as the chat being answered reads it, and the note when that is not
        its language (``bot.delivery.translated``)."""
        return await (reader or self.reader()).read(summary, spoken().language)

    async def story_lines(self, stories: Sequence[Story]) -> tuple[list[Line], tuple[str, ...]]:
        """Two lines per story (``compact_story``) as the chat reads them, and the notes
        naming the languages of the stories shown in their sources' language, once each."""
        reader = self.reader()
        lines: list[Line] = []
        notes: list[str] = []
        for story in stories:
            summary = await self.storage.get_summary(story.id)
            if summary is not None:
                summary, note = await self.in_chat_language(summary, reader)
                notes += [note] if note and note not in notes else []
            lines.extend(compact_story(story, summary, self.page_url(story.id)))
        return lines, tuple(notes)

    def page_url(self, story_id: str) -> str | None:
        """The story's web page (``[web] public_url``), or None when pages are off."""
        return f"{self.public_url}/s/{story_id}" if self.public_url else None

    def _require_manage(self, inv: Invocation) -> None:
        if not inv.can_manage:
            raise CommandError(
                _(
                    "Only this chat's admins can change its subscriptions and feeds. "
                    "You can subscribe in a direct message with me."
                )
            )

    async def words_for(self, inv: Invocation) -> Words:
        """The words to answer ``inv`` in: the chat's chosen language, else the platform's
        (``inv.language_hint``), else the bot's default. Remembered for a minute per chat,
        so a burst of commands and presses reads the settings once."""
        now = self.clock.now().timestamp()
        known = self._languages.get(inv.destination)
        if known is not None and now - known[1] < LANGUAGE_TTL_S:
            return self.words.words(known[0])
        try:
            settings = await self.storage.chat_settings(inv.destination)
            stored, hint = settings.language, settings.language_hint
        except NewsbotError as err:  # the answer still goes out, in the hinted language
            log.warning("command.language_unknown dest=%s error=%r", inv.destination.key, err)
            stored, hint = None, None
        language = choose_language(stored, inv.language_hint or hint, self.default_language)
        if len(self._languages) >= MAX_REMEMBERED_CHATS:
            self._languages.clear()
        self._languages[inv.destination] = (language, now)
        return self.words.words(language)

    def forget_language(self, destination: Destination) -> None:
        """The chat changed its language: the next answer reads it again."""
        self._languages.pop(destination, None)

"""Domain values shared by every stage of the pipeline.

All are frozen dataclasses; all datetimes are timezone-aware UTC. Storage maps its
rows to these before they leave ``storage/``; adapters translate platform objects to
and from them, so nothing platform-specific crosses into ``bot/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Platform = Literal["console", "telegram", "discord"]
PLATFORMS: tuple[Platform, ...] = ("console", "telegram", "discord")


# ---------------------------------------------------------------- feeds


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed the bot watches, with its polling state."""

    id: int
    url: str
    name: str
    allow_private: bool = False
    enabled: bool = True
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_check_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    items_seen: int = 0
    added_by: str | None = None  # a Destination key for user-added feeds; None = operator
    created_at: datetime | None = None
    # Who may see the feed's stories: OPERATOR_SCOPE (everyone) and/or community scopes.
    scopes: frozenset[str] = frozenset()
    disabled_by: str | None = None  # "operator" (sticky), "config" or None
    html_url: str | None = None  # the website, as an OPML import or the feed said
    # (scope, OPML folder path) for scopes that filed the feed in a folder
    categories: tuple[tuple[str, str], ...] = ()
    health: str = "ok"  # "ok", "unhealthy" or "dead" (see bot.feeds.health)
    failing_since: datetime | None = None  # the first failure of the current spell

    def category_in(self, scope: str) -> str:
        return next((c for s, c in self.categories if s == scope), "")


# A feed of the operator's serves every chat; a community's serves its own scope only.
OPERATOR_SCOPE = "operator"


def default_scope(platform: str, chat_id: str) -> str:
    """The scope of a chat that belongs to no larger community: a Telegram group,
    channel or DM, a console, a Discord DM (a Discord server's channels share
    ``discord:guild:<id>``, which only the Discord adapter knows)."""
    return f"{platform}:{chat_id}"


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What the watcher asks the fetcher for: one conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The answer to a fetch. ``body`` is None on 304."""

    url: str  # the final URL after redirects
    status: int
    body: bytes | None
    headers: Mapping[str, str]
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed item as the parser saw it, already turned into plain text."""

    title: str
    url: str | None
    guid: str | None
    text: str
    published: datetime | None
    author: str | None = None
    language: str = "und"  # BCP 47, detected from title and text by the parser


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A usable feed. ``warning`` is set when it was bozo but still usable."""

    title: str | None
    entries: tuple[ParsedEntry, ...]
    ttl_s: int | None = None
    warning: str | None = None
    site_url: str | None = None  # the feed's own link to its website


# ---------------------------------------------------------------- articles and stories


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article about to be stored (after dedupe), without its id yet."""

    feed_id: int
    outlet: str
    url: str  # canonical
    guid: str | None
    title: str
    text: str
    published: datetime
    fetched_at: datetime
    content_hash: str
    language: str = "und"
    publisher: str = ""  # registered domain of the outlet (see bot.text.urls.publisher_of)


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    feed_id: int
    outlet: str
    url: str
    guid: str | None
    title: str
    text: str
    published: datetime
    fetched_at: datetime
    content_hash: str
    story_id: str | None = None
    language: str = "und"  # BCP 47 ("und": not known)
    publisher: str = ""  # registered domain of the outlet; "" for articles stored before

    @property
    def publisher_key(self) -> str:
        """What makes two articles the same outlet: the publisher, else the feed's name."""
        return self.publisher or self.outlet


@dataclass(frozen=True, slots=True)
class Story:
    """A group of articles about one event. ``id`` is short, stable and typeable."""

    id: str
    created_at: datetime
    updated_at: datetime
    article_ids: tuple[int, ...]
    outlets: tuple[str, ...]  # distinct independent outlets, in order of first report
    headline: str = ""
    breaking_at: datetime | None = None
    version: int = 1  # bumps when the summary must be regenerated
    merged_into: str | None = None

    @property
    def outlet_count(self) -> int:
        return len(self.outlets)


# ---------------------------------------------------------------- summaries


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a summary and the numbers of the sources that support it."""

    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A numbered source of a summary (numbers start at 1)."""

    number: int
    outlet: str
    title: str
    url: str
    published: datetime
    article_id: int = 0


@dataclass(frozen=True, slots=True)
class DatedEvent:
    """A row of the small table of related dated events."""

    when: str
    what: Sentence


@dataclass(frozen=True, slots=True)
class Summary:
    """What a summariser produces for one story version."""

    story_id: str
    headline: str
    lede: tuple[Sentence, ...]
    sections: tuple[Section, ...]
    sources: tuple[SourceRef, ...]
    key_facts: tuple[Sentence, ...] = ()
    events: tuple[DatedEvent, ...] = ()
    written_by: str = "extractive"
    story_version: int = 1
    what_changed: Sentence | None = None
    lead: int = 1  # the source number of the leading report: headline, link and lede
    language: str = "und"  # BCP 47: the sources' language it is written in, or a translation's

    def source(self, number: int) -> SourceRef | None:
        for ref in self.sources:
            if ref.number == number:
                return ref
        return None


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a question about a story, from its sources only."""

    sentences: tuple[Sentence, ...]
    found: bool  # False: the sources do not say; ``sentences`` are the closest they come
    language: str = "und"  # BCP 47: what ``sentences`` are written in


# ---------------------------------------------------------------- people and delivery


@dataclass(frozen=True, slots=True)
class Destination:
    """Where posts go: a chat, optionally a thread or forum topic inside it."""

    platform: Platform
    chat_id: str
    thread_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}:{self.thread_id or ''}"

    @classmethod
    def from_key(cls, key: str) -> Destination:
        platform, chat_id, thread_id = key.split(":", 2)
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        return cls(platform, chat_id, thread_id or None)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    destination: Destination
    topic: str
    breaking_only: bool = False
    min_outlets: int = 2
    paused: bool = False
    created_at: datetime | None = None
    # The community the subscription belongs to ("" for subscriptions made before scopes:
    # they see the operator's feeds only); ``only_ours`` leaves the operator's feeds out.
    scope: str = ""
    only_ours: bool = False
    ping_role: str | None = None  # Discord: a role id mentioned on a story's first post

    def sees(self, feed_scopes: frozenset[str]) -> bool:
        """Whether a feed added by ``feed_scopes`` feeds this subscription."""
        return scope_sees(self.scope, feed_scopes, only_ours=self.only_ours)


def scope_sees(scope: str, feed_scopes: frozenset[str], *, only_ours: bool = False) -> bool:
    """Whether a chat of ``scope`` sees a feed added by ``feed_scopes``: its own, and the
    operator's unless ``only_ours``."""
    if scope and scope in feed_scopes:
        return True
    return not only_ours and OPERATOR_SCOPE in feed_scopes


DeliveryStatus = Literal["pending", "sent", "unconfirmed", "failed", "skipped"]
DeliveryKind = Literal["post", "edit", "reply", "digest", "notice"]


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A platform's id of a message we posted, so it can be edited or replied to."""

    destination: Destination
    message_id: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox: a story version owed to one subscription."""

    id: int
    subscription_id: int
    destination: Destination
    story_id: str
    story_version: int
    kind: DeliveryKind = "post"
    status: DeliveryStatus = "pending"
    attempts: int = 0
    message_id: str | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    ping_role: str | None = None  # the subscription's role to mention on a first post
    # When the first request of this post went out; a resend is deduped only so long.
    send_started_at: datetime | None = None
    body: str | None = None  # a notice's text (kind "notice"); posts render their story


# ---------------------------------------------------------------- chat models


ChatRole = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation sent to a chat model."""

    role: ChatRole
    content: str


@dataclass(frozen=True, slots=True)
class ChatReply:
    """What a chat model wrote, and the tokens the call used as the endpoint reported
    them (None when it did not say: the caller estimates)."""

    text: str  # "" when the model wrote nothing
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


# ---------------------------------------------------------------- chats


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A chat's own settings and the window its last ``/catchup`` showed."""

    destination: Destination
    timezone: str = "UTC"  # an IANA name, checked when it is set
    language: str | None = None  # BCP 47, chosen with /language; None: not chosen
    language_hint: str | None = None  # the platform's locale for the chat or its person
    catchup_from: datetime | None = None
    caught_up_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryVersion:
    """One stored version of a story's summary, for its page's history."""

    version: int
    created_at: datetime
    headline: str
    what_changed: Sentence | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """A subscription in digest mode: one message on a schedule instead of posts.
    ``schedule`` is as typed (``daily 08:00``, ``weekly mon 08:00``), in the chat's zone."""

    subscription: Subscription
    schedule: str
    next_due_at: datetime
    covers_from: datetime  # the next digest lists stories updated from here on


@dataclass(frozen=True, slots=True)
class DigestIssue:
    """One digest as issued: the stories it lists, most important first."""

    key: str  # the outbox row's story_id
    topic: str
    schedule: str
    covers_from: datetime
    covers_until: datetime
    story_ids: tuple[str, ...]

"""What the clusterer knows: arriving articles, their decided stories, and its state.

``ClusterDoc`` and ``Assignment`` are what callers pass in and get back; ``ActiveDoc``
and ``ActiveStory`` are the clusterer's own record of the active window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from bot.stories.clustering_features import Vector, dot
from bot.stories.corroboration import Corroboration


@dataclass(frozen=True, slots=True)
class ClusterDoc:
    article_id: int
    outlet: str
    title: str
    text: str
    published: datetime  # aware UTC
    language: str = "und"  # BCP 47; stories are formed within one language
    url: str = ""  # the link, whose path tells a video or gallery from a report


@dataclass(frozen=True, slots=True)
class Assignment:
    story_id: str
    is_new: bool
    merged: tuple[str, ...] = ()
    wire_copy_of: int | None = None


UNKNOWN = "und"


def languages_differ(a: str, b: str) -> bool:
    """Stories are formed within one language: words of two languages do not compare."""
    return a != b and UNKNOWN not in (a, b)


def timestamp_of(doc: ClusterDoc) -> float:
    if doc.published.tzinfo is None:
        raise ValueError(f"article {doc.article_id}: published time must be timezone-aware")
    return doc.published.timestamp()


@dataclass(slots=True)
class ActiveDoc:
    article_id: int
    outlet: str
    ts: float
    vec: Vector
    keys: tuple[str, ...]  # index terms
    story: str
    wire_of: int | None
    language: str = UNKNOWN
    news: bool = True  # a report, not a video, gallery, quiz or other feature piece
    title_keys: frozenset[str] = frozenset()  # the title's terms and names


@dataclass(slots=True)
class ActiveStory:
    id: str
    seq: int
    centroid: Vector = field(default_factory=dict)
    norm2: float = 0.0
    members: list[int] = field(default_factory=list)
    last_ts: float = 0.0
    keys: set[str] = field(default_factory=set)
    outlets: dict[str, int] = field(default_factory=dict)  # own (non-copy) articles each
    language: str = UNKNOWN  # of the article that started it
    first_ts: float = math.inf  # its earliest report
    title_keys: set[str] = field(default_factory=set)  # terms of its articles' titles
    outlet_ts: dict[str, float] = field(default_factory=dict)  # each outlet's latest report
    corroboration: Corroboration = field(default_factory=Corroboration)
    sweep_query: tuple[str, ...] = ()  # its heaviest terms, as last found by a merge sweep
    swept_size: int = 0  # ... when it had this many articles
    reports: int = 0  # members that are news, not videos, galleries or other features
    # Rebuilt after a restart from the window's articles: it may hold more than it shows.
    restored: bool = False

    def absorb(self, gone: ActiveStory, corroboration_threshold: float) -> None:
        """Take in what ``gone`` knows (its members are appended, unsorted); the caller
        moves the articles and the index."""
        if self.language == UNKNOWN:
            self.language = gone.language  # else a third language could join "und"
        self.norm2 += 2.0 * dot(self.centroid, gone.centroid) + gone.norm2
        for t, w in gone.centroid.items():
            self.centroid[t] = self.centroid.get(t, 0.0) + w
        self.members.extend(gone.members)
        self.reports += gone.reports
        for outlet, n in gone.outlets.items():
            self.outlets[outlet] = self.outlets.get(outlet, 0) + n
        self.last_ts = max(self.last_ts, gone.last_ts)
        self.first_ts = min(self.first_ts, gone.first_ts)
        self.title_keys |= gone.title_keys
        self.corroboration.absorb(gone.corroboration, corroboration_threshold)
        for outlet, ts in gone.outlet_ts.items():
            self.outlet_ts[outlet] = max(self.outlet_ts.get(outlet, -math.inf), ts)
        self.keys |= gone.keys
        self.restored = self.restored or gone.restored
        self.swept_size = 0  # its terms changed: the next sweep asks again

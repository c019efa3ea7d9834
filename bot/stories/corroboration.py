"""Which outlets of a story confirm its event.

An article joins a story when it resembles the story as a whole, and a story of a topic
(a country, a team, a show) resembles every piece about that topic a little. Two outlets
that wrote about one topic on one day are not two outlets confirming one event: an outlet
confirms the event when one of its reports is directly like a report of another outlet
(the same names, numbers and words in the same report), not only like the story's blend.
Only confirmed outlets count toward a subscription's minimum of outlets and breaking.

Comparisons per arriving report are bounded: it is compared with the story's first
``SAMPLE`` reports, which tell the event that started the story.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.stories.clustering_features import Vector, dot

SAMPLE = 12
# Term weights tell a rare name from a common word only once enough articles were seen;
# before that, likeness between two reports says little and every outlet counts.
MIN_ARTICLES = 200
# Words of Chinese, Japanese and Korean are character pairs here: two reports of one
# event share few of them, so a direct likeness does not separate events from topics.
UNSEGMENTED = frozenset({"zh", "ja", "ko"})


@dataclass(slots=True)
class Corroboration:
    """The confirmed outlets of one story and the reports new ones are compared with."""

    confirmed: set[str] = field(default_factory=set)
    sample: list[tuple[str, Vector, float]] = field(default_factory=list)

    def observe(self, outlet: str, vec: Vector, threshold: float) -> None:
        """A report of ``outlet`` joined: it confirms, and is confirmed by, any sampled
        report of another outlet at least ``threshold`` alike (cosine)."""
        norm = math.sqrt(dot(vec, vec))
        if norm > 0.0:
            self._compare(outlet, vec, norm, threshold)
            if len(self.sample) < SAMPLE:
                self.sample.append((outlet, vec, norm))

    def absorb(self, other: Corroboration, threshold: float) -> None:
        """Another story merged into this one: its reports are compared with these."""
        self.confirmed |= other.confirmed
        for outlet, vec, norm in other.sample:
            self._compare(outlet, vec, norm, threshold)
        room = SAMPLE - len(self.sample)
        if room > 0:
            self.sample.extend(other.sample[:room])

    def _compare(self, outlet: str, vec: Vector, norm: float, threshold: float) -> None:
        for other, other_vec, other_norm in self.sample:
            if other == outlet or (outlet in self.confirmed and other in self.confirmed):
                continue
            if dot(vec, other_vec) / (norm * other_norm) >= threshold:
                self.confirmed.update((outlet, other))


def confirming(
    outlets: tuple[str, ...],
    corroboration: Corroboration,
    *,
    language: str,
    threshold: float,
    articles_seen: int,
) -> tuple[str, ...]:
    """``outlets`` (in order of first report) that count: the first, which started the
    story, and those confirmed by another outlet's report. All of them when the check is
    off (``threshold`` 0) or cannot tell (unsegmented scripts, too few articles seen)."""
    if (
        threshold <= 0.0
        or language in UNSEGMENTED
        or articles_seen < MIN_ARTICLES
        or len(outlets) < 2
    ):
        return outlets
    return tuple(o for i, o in enumerate(outlets) if i == 0 or o in corroboration.confirmed)

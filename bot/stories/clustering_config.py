"""Settings of story clustering (TOML section ``[clustering]``), checked on creation."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.core.errors import ConfigError

# Shares, floors and multipliers.
_AT_MOST_ONE = (
    "time_floor",
    "age_floor",
    "wire_overlap",
    "same_outlet_factor",
    "same_day_outlet_factor",
    "feature_factor",
    "title_miss_factor",
    "corroboration_threshold",
    "merge_gate",
    "one_word_factor",
    "one_word_share",
)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Knobs of story clustering (TOML section ``[clustering]``)."""

    window_hours: float = 72.0  # a story with no article for this long stops attracting
    window_articles: int = 1000  # ... or for as long as this many arrivals take, if longer
    max_active_articles: int = 5000  # memory bound: quietest stories leave first
    join_threshold: float = 0.14  # score an article needs to join a story
    # ... or this much, when the story has clear_story_outlets outlets (copies count none)
    # and the article scores clear_margin times as much with it as with any other story
    # (see ``bot.stories.evidence.chosen_story``; no effect above join_threshold).
    clear_join_threshold: float = 0.10
    clear_margin: float = 3.0
    clear_story_outlets: int = 4
    merge_threshold: float = 0.4  # centroid similarity at which two stories merge
    merge_gate: float = 0.3  # an arrival scoring this share of it with both asks for a check
    lone_merge_threshold: float = 0.18  # a lone article's score that merges it into a story
    time_scale_hours: float = 12.0  # least decay scale of time proximity
    pace_factor: float = 7.0  # decay scale in average gaps between arrivals
    story_span_hours: float = 96.0  # least decay scale of a story's age
    span_pace_factor: float = 100.0  # age decay scale in average gaps between arrivals
    age_floor: float = 0.4  # the age factor never falls below this
    time_floor: float = 0.0  # proximity never falls below this (0 = may reach 0)
    # Score multiplier when one word (a name and its stem) makes up one_word_share of the
    # likeness: one shared place or party says "topic", not "event".
    one_word_factor: float = 0.5
    one_word_share: float = 0.7
    title_weight: float = 3.0  # a title word counts as this many body words
    entity_weight: float = 1.0  # weight of names (runs of capitalised words)
    number_weight: float = 1.0  # weight of numbers
    same_outlet_factor: float = 0.8  # score multiplier when the outlet already reported
    same_outlet_title_weight: float = 0.2  # title evidence an outlet's second report needs
    same_day_outlet_factor: float = 0.5  # ... and a further multiplier within same_day_hours
    same_day_hours: float = 36.0
    same_day_title_terms: int = 3  # ... unless titles share a name or number and this many terms
    feature_factor: float = 0.7  # score multiplier for videos, galleries, quizzes, lists
    # Score multiplier when the titles of a story of titled_story_size articles or more
    # share no term with the arriving article's title.
    title_miss_factor: float = 0.7
    titled_story_size: int = 3
    wire_overlap: float = 0.8  # shared 5-gram share that makes a wire copy
    # An outlet counts toward a story's outlets once one of its reports is this alike
    # (cosine) to a report of another outlet: a topic's pieces are alike only on average.
    corroboration_threshold: float = 0.3
    body_words: int = 80  # words of the body read per article
    max_terms: int = 80  # terms kept per article vector
    index_terms: int = 25  # terms per article that index its story
    query_terms: int = 20  # terms per article used to find candidate stories
    max_posting: int = 50  # a term in more stories than this nominates none
    max_candidates: int = 6  # stories scored exactly per article
    merge_checks: int = 3  # best other candidates checked for a merge

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            whole = f.type == "int"
            kinds = int if whole else int | float
            if isinstance(value, bool) or not isinstance(value, kinds) or value < int(whole):
                what = "a whole number >= 1" if whole else "a number >= 0"
                raise ConfigError(f"clustering.{f.name} must be {what}")
        if self.window_hours <= 0 or self.time_scale_hours <= 0 or self.story_span_hours <= 0:
            raise ConfigError(
                "clustering.window_hours, time_scale_hours and story_span_hours must be above 0"
            )
        for name in _AT_MOST_ONE:
            if getattr(self, name) > 1:
                raise ConfigError(f"clustering.{name} must be at most 1")

"""Settings of the extractive summariser (TOML section ``[summarizer]``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryConfig:
    """TOML ``[summarizer]``."""

    kind: str = "extractive"  # "extractive" or "llm"
    max_sections: int = 4  # 2..5 sections when the sources allow
    max_words: int = 130  # words in the lede and sections together
    lede_sentences: int = 2  # at most 3
    section_sentences: int = 3  # sentences per section, at most 4
    redundancy: float = 0.35  # cosine above which a sentence repeats one already chosen
    duplicate: float = 0.6  # word overlap above which two articles say the same sentence
    max_events: int = 5  # rows of the dated-events table (0: none)
    sentences_per_article: int = 25  # only the first usable sentences of each article count
    # Articles of a story a summary reads (bot.summaries.selection); 0: all of them.
    max_articles: int = 12

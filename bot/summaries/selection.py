"""Which of a story's articles a summary reads: a bounded, well-chosen few.

A story can grow to thousands of reports (an election, a farm of near-identical feeds);
its summary, and the topic matching that follows it, must not cost more as it grows. So
they read at most ``limit`` articles, chosen in this order:

- the leading report (``bot.summaries.lead``), which the post shows;
- the newest report, the one that made the story change (it may be the first after its
  feed was added, the one that makes the story news at all);
- the earliest report of each outlet, in order of publication, until a third of the
  places are left;
- the most central of the rest (title and opening closest to what all of them say).

Only a pool of the story's articles is loaded to choose from: all of them when there
are few, else the earliest and the latest stored (``pool_ids``). The selection is
deterministic: the same pool gives the same articles.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import Article
from bot.summaries.lead import lead_article
from bot.text.sentences import article_sentences
from bot.text.terms import content_words
from bot.text.vectors import centroid, cosine, idf_weights, tfidf

# Articles loaded to choose ``limit`` from: enough for a spread of outlets and times.
POOL_FACTOR = 8


def pool_ids(article_ids: Sequence[int], limit: int) -> list[int]:
    """The ids to load when choosing ``limit`` articles: every id when there are at most
    ``POOL_FACTOR * limit``, else the earliest and the latest stored, half each."""
    ids = sorted(set(article_ids))
    size = max(1, limit) * POOL_FACTOR
    if limit <= 0 or len(ids) <= size:
        return ids
    half = size // 2
    return ids[:half] + ids[-(size - half) :]


def _opening(article: Article) -> list[str]:
    words = content_words(article.title, article.language) * 2
    for sentence in article_sentences(article.text)[:2]:
        words.extend(content_words(sentence, article.language))
    return words


def centrality(articles: Sequence[Article]) -> dict[int, float]:
    """How close each article's title and opening are to what all of them say (cosine
    to the tf-idf centroid), by article id."""
    tokens = [_opening(a) for a in articles]
    idf = idf_weights(tokens)
    vectors = [tfidf(t, idf) for t in tokens]
    story = centroid(vectors)
    return {a.id: cosine(v, story) for a, v in zip(articles, vectors, strict=True)}


def select_articles(articles: Sequence[Article], limit: int) -> list[Article]:
    """At most ``limit`` of ``articles`` (see the module docstring), in order of
    publication; all of them when there are no more than ``limit`` (or ``limit`` <= 0)."""
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    if limit <= 0 or len(ordered) <= limit:
        return ordered
    chosen: dict[int, Article] = {}
    lead = lead_article(ordered)
    chosen[lead.id] = lead
    chosen.setdefault(ordered[-1].id, ordered[-1])
    outlets = {a.publisher_key for a in chosen.values()}
    by_outlet = limit - max(1, limit // 3)
    for article in ordered:
        if len(chosen) >= by_outlet:
            break
        if article.publisher_key not in outlets:
            outlets.add(article.publisher_key)
            chosen[article.id] = article
    central = centrality(ordered)
    for article in sorted(ordered, key=lambda a: (-central[a.id], a.published, a.id)):
        if len(chosen) >= limit:
            break
        chosen.setdefault(article.id, article)
    return sorted(chosen.values(), key=lambda a: (a.published, a.id))

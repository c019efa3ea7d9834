"""The leading report of a story: the one article whose headline, link and first
sentence a post shows, so that all three come from, and agree with, one report.

The rule: among the story's substantive reports (news, not a video, gallery, quiz or
list, and with at least one usable sentence), measure how central each is to the story
(its title and opening against what all the articles say together). The lead is the
earliest report that is nearly as central as the most central one (``CLOSE_ENOUGH`` of
it): the first full report of the event is what a reader would be sent to, unless it is
off to one side (a preview, a reaction), when a later, more central one leads. Among
the nearly central ones, a report that opens on a short line of mood is passed over
for one that opens with its news (:func:`opens_with_a_hook`). With no substantive
report, every article is a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import Article
from bot.text.kinds import is_report
from bot.text.language import is_cjk_char
from bot.text.sentences import article_sentences, clean_title
from bot.text.terms import content_words, stem, words
from bot.text.vectors import centroid, cosine, idf_weights, tfidf

CLOSE_ENOUGH = 0.8
OPENING_SENTENCES = 2
HOOK_WORDS = 8


def _opening(article: Article, sentences: Sequence[str]) -> list[str]:
    title = clean_title(article.title, article.outlet)
    lang = article.language
    words = content_words(title, lang) * 2  # the headline states what the report is about
    for sentence in sentences[:OPENING_SENTENCES]:
        words.extend(content_words(sentence, lang))
    return words


def lead_article(articles: Sequence[Article]) -> Article:
    """The story's leading report (see the module docstring). ``articles`` must not be
    empty."""
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    # Each report's sentences, split once: substance, centrality and opening read them.
    sentences = {a.id: article_sentences(a.text) for a in ordered}
    # Substantive reports: news with at least one usable sentence.
    candidates = [a for a in ordered if is_report(a) and sentences[a.id]] or ordered
    if len(candidates) == 1:
        return candidates[0]
    tokens = [_opening(a, sentences[a.id]) for a in ordered]
    idf = idf_weights(tokens)
    vectors = {a.id: tfidf(t, idf) for a, t in zip(ordered, tokens, strict=True)}
    story = centroid(list(vectors.values()))
    central = {a.id: cosine(vectors[a.id], story) for a in candidates}
    best = max(candidates, key=lambda a: (central[a.id], -a.published.timestamp(), -a.id))
    floor = CLOSE_ENOUGH * central[best.id]
    near = [a for a in candidates if central[a.id] >= floor]
    return next((a for a in near if not _hooked(a, sentences[a.id])), near[0])


def opens_with_a_hook(article: Article) -> bool:
    """Whether the report opens on a short line of mood before its news ("Adam Szalai
    is not exactly prolific." under "Hungary's Adam Szalai finds scoring touch to
    defeat 10-man Austria"): fewer than ``HOOK_WORDS`` words, no number, and none of its
    headline's words but names. Short news says what its headline says in its own
    words ("Queen Elizabeth II has died." under "Queen Elizabeth II dies")."""
    return _hooked(article, article_sentences(article.text))


def _hooked(article: Article, sentences: Sequence[str]) -> bool:
    if not sentences:
        return False
    first = sentences[0]
    if any(is_cjk_char(ch) for ch in first):
        return False  # no spaces to count words by: its character pairs are no words
    if len(words(first)) >= HOOK_WORDS or any(ch.isdigit() for ch in first):
        return False
    lang = article.language
    title = clean_title(article.title, article.outlet)
    promised = {stem(w, lang) for w in content_words(title, lang)}
    plain = " ".join(t for t in first.split() if t[:1].islower())
    return not any(
        _same_word(stem(w, lang), p) for w in content_words(plain, lang) for p in promised
    )


def _same_word(a: str, b: str) -> bool:
    """Stems of one word, or short forms the light stemmer leaves apart ("died", "die")."""
    return a == b or (min(len(a), len(b)) <= 4 and a[:3] == b[:3])

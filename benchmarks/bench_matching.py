"""Topic matching speed: every story of a multilingual stream against 2,000 subscriptions.

Stories have 2 to 6 articles (title and a ~450-word body) in English, German, French,
Russian, Arabic or Chinese; their words follow a Zipf law over a per-language synthetic
vocabulary, with country names (CLDR's, in the article's language) sprinkled in as real
news would. Subscriptions mix country and language names, plain words, phrases, OR and
exclusions, as people type them. ``match_subscriptions`` (what the pipeline calls) runs
once per story, stemming the story once and testing every subscription.

Printed, one JSON object: ``ms_per_story`` (median and p99, 2,000 subscriptions each),
``us_per_pair`` (per story x subscription), ``first_story_ms`` (the first call),
``matches``, and the alias index of place names: ``alias_index_build_s`` (reading CLDR and
building six languages' aliases) and ``alias_index_mib`` (the memory it keeps).
Run from the repository root:
``.venv/bin/python benchmarks/bench_matching.py [--stories N] [--subscriptions N]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
import tracemalloc
from datetime import UTC, datetime

from babel import Locale

from bot.core.domain import Article, Destination, Story, Subscription
from bot.stories.matching import match_subscriptions

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LANGUAGES = (("en", 0.5), ("de", 0.1), ("fr", 0.1), ("ru", 0.1), ("ar", 0.1), ("zh", 0.1))
ALPHABETS = {
    "en": "abcdefghiklmnoprstuwy",
    "de": "abcdefghiklmnoprstuwäöü",
    "fr": "abcdefghilmnoprstuéèà",
    "ru": "абвгдеиклмнопрстуя",
    "ar": "ابتدرسعفقلمنهوي",
    "zh": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自可",
}
COUNTRIES = ("IQ", "DE", "FR", "CN", "RU", "UA", "SY", "IR", "TR", "US", "GB", "IL", "EG")
VOCABULARY = 5_000
BODY_WORDS = 450


def vocabulary(rng: random.Random, lang: str) -> list[str]:
    letters = ALPHABETS[lang]
    if lang == "zh":
        return ["".join(rng.choices(letters, k=rng.randint(1, 3))) for _ in range(VOCABULARY)]
    return ["".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(VOCABULARY)]


Corpus = list[tuple[Story, list[Article]]]


def build(stories: int, subscriptions: int) -> tuple[Corpus, list[Subscription]]:
    rng = random.Random(11)
    vocab = {lang: vocabulary(rng, lang) for lang, _ in LANGUAGES}
    weights = [1 / rank for rank in range(1, VOCABULARY + 1)]
    names = {lang: Locale.parse(lang).territories for lang, _ in LANGUAGES}
    joiner = {lang: "" if lang == "zh" else " " for lang, _ in LANGUAGES}

    def text(lang: str, n: int, place: str) -> str:
        words = rng.choices(vocab[lang], weights=weights, k=n)
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(len(words) + 1), names[lang][place])
        return joiner[lang].join(words)

    out: Corpus = []
    next_article = 1
    for s in range(stories):
        lang = rng.choices([code for code, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        place = rng.choice(COUNTRIES)
        articles = []
        for a in range(rng.randint(2, 6)):
            articles.append(
                Article(
                    id=next_article,
                    feed_id=a + 1,
                    outlet=f"outlet{a}",
                    url=f"https://outlet{a}.example/{next_article}",
                    guid=None,
                    title=text(lang, 9, place),
                    text=text(lang, BODY_WORDS, place),
                    published=T0,
                    fetched_at=T0,
                    content_hash=str(next_article),
                    language=lang,
                )
            )
            next_article += 1
        story = Story(
            id=f"s{s}",
            created_at=T0,
            updated_at=T0,
            article_ids=tuple(a.id for a in articles),
            outlets=tuple(a.outlet for a in articles),
            headline=articles[0].title,
        )
        out.append((story, articles))

    english = names["en"]
    common = vocab["en"][:300]
    topics = []
    for i in range(subscriptions):
        kind = i % 6
        if kind == 0:
            topic = english[rng.choice(COUNTRIES)].lower()
        elif kind == 1:
            topic = rng.choice(("arabic", "chinese", "german", "russian", "french"))
        elif kind == 2:
            topic = f"{rng.choice(common)} OR {rng.choice(common)}"
        elif kind == 3:
            topic = f'"{rng.choice(common)} {rng.choice(common)}"'
        elif kind == 4:
            topic = f"{english[rng.choice(COUNTRIES)].lower()} -{rng.choice(common)}"
        else:
            topic = rng.choice(common)
        topics.append(topic)
    subs = [
        Subscription(id=i + 1, destination=Destination("telegram", str(i)), topic=topic)
        for i, topic in enumerate(topics)
    ]
    return out, subs


def measure_place_names() -> dict[str, float]:
    """The alias index: seconds to read CLDR and build the six bench languages' aliases,
    and the memory they keep (measured again under tracemalloc, which slows it)."""
    from bot.text import place_names  # noqa: PLC0415 - absent before topics across languages

    def build_all() -> None:
        place_names._index.cache_clear()
        place_names._language_aliases.cache_clear()
        place_names._index()
        for lang, _ in LANGUAGES:
            place_names._language_aliases(lang)

    started = time.perf_counter()
    build_all()
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    build_all()
    gc.collect()
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"alias_index_build_s": round(seconds, 2), "alias_index_mib": round(kept / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=2_000)
    args = parser.parse_args()
    stories, subs = build(args.stories, args.subscriptions)
    index = measure_place_names()
    timings: list[float] = []
    matches = 0
    cpu_started = time.process_time()
    for story, articles in stories:
        started = time.perf_counter()
        matches += len(match_subscriptions(story, articles, subs))
        timings.append(time.perf_counter() - started)
    cpu_s = time.process_time() - cpu_started
    ordered = sorted(timings[1:])
    print(
        json.dumps(
            {
                "bench": "matching",
                "stories": len(stories),
                "subscriptions": len(subs),
                "first_story_ms": round(timings[0] * 1000, 1),
                "ms_per_story_p50": round(statistics.median(ordered) * 1000, 2),
                "ms_per_story_p99": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2),
                "us_per_pair": round(sum(ordered) / len(ordered) / len(subs) * 1e6, 2),
                "cpu_s": round(cpu_s, 2),
                "matches": matches,
                **index,
            }
        )
    )


if __name__ == "__main__":
    main()

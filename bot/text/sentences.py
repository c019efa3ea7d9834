"""Sentence splitting, junk filtering and text normalisation for summaries.

Everything here is pure and deterministic: the extractive summariser, the grounding
checks and ``/ask`` all see article text through these functions, so a fact that one
of them finds in a source the others find there too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence


def wordlist(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text``, in order (for readable word lists)."""
    return tuple(text.split())


# Abbreviations after which a full stop does not end a sentence (lower case, no dot).
_ABBREVIATIONS = frozenset(
    wordlist(
        "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc corp ltd co no vs etc "
        "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m pres "
        "rev ft mt approx dept est fig"
    )
)

STOPWORDS = frozenset(
    wordlist(
        "a about above after again against all also am an and any are as at be because been "
        "before being below between both but by can could did do does doing down during each "
        "few for from further had has have having he her here hers herself him himself his "
        "how i if in into is it its itself just me more most my myself no nor not now of off "
        "on once only or other our ours ourselves out over own same she should so some such "
        "than that the their theirs them themselves then there these they this those through "
        "to too under until up very was we were what when where which while who whom why will "
        "with would you your yours yourself yourselves said says say told according one new "
        "like may might must us mr mrs ms since amid get got make made many much also however "
        "even still yet per via among whether would year years day days week weeks time"
    )
)

# Lines and sentences that are feed furniture, not reporting.
_JUNK_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^continue reading\b",
        r"\bappeared first on\b",
        r"^read (more|the full|the rest)\b",
        r"^(click|tap) here\b",
        r"^(sign up|subscribe)\b",
        r"^advertisement$",
        r"^(photo|photograph|image|video|picture)s?\b\s*(:|by|credit)?",
        r"^(getty images|ap photo|reuters photo)\b",
        r"^share (this|on)\b",
        r"^by [A-Z][\w.'-]*(\s+[A-Z][\w.'-]*){0,3}(\s*(,|and|\|).*)?$",
        r"^(updated|published|posted)\s*:?\s*\d",
        r"^\W*$",
        r"^listen to (this|the) (article|story)\b",
        r"\ball rights reserved\b",
        r"^(related|more)\s*:",
    )
)
_BRACKET_JUNK = re.compile(r"\[\s*(?:\u2026|\.\.\.|\+?\d+\s*chars?)\s*\]")
# "WASHINGTON (Reuters) - ", "SEOUL, South Korea \u2014 ", "PYONGYANG - ": a place in capitals,
# maybe a region and an agency, then a dash.
_DATELINE = re.compile(
    r"^[A-Z]{3,}(?:[ .'-]+[A-Z]{2,})*\.?(?:,\s+[A-Z][A-Za-z.]+(?:\s+[A-Z][A-Za-z.]+){0,2})?"
    r"\s*(?:\([A-Za-z .]{2,20}\))?\s*[-\u2013\u2014]+\s+"
)
# Broadcast transcripts: "MONTAGNE: And the next day..." is dialogue, not reporting.
_AGENCY = re.compile(r"^\((?:CNN|AP|AFP|Reuters|Bloomberg|UPI|dpa)\)\s*(?:[-\u2013\u2014]\s*)?")
_SPEAKER = re.compile(r"^[A-Z]{3,}(?:\s[A-Z]{2,}){0,2}:\s")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a]+")
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")
_SPLIT = re.compile(
    r"(?:(?<=[.!?\u2026])|(?<=[.!?\u2026][\"'\u201d\u2019)\]]))\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])"
)
_TITLE_SUFFIX = re.compile(r"\s+[-\u2013\u2014|:]\s+[^-\u2013\u2014|:]{2,40}$")
_TAG = re.compile(r"</?[A-Za-z!][^>]{0,200}>")

_QUOTE_MAP = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)


def normalise(text: str) -> str:
    """Lower-cased, NFKC, straight quotes, plain dashes, single spaces, no thousands commas.

    Both a claim and its sources pass through this before any comparison, so
    "1,000" matches "1000" and a curly quote matches a straight one.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return _SPACES.sub(" ", text).strip()


def tidy(text: str) -> str:
    """Whitespace-collapsed text with display quotes kept (for output)."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The word tokens of ``text`` after normalisation."""
    return [w.replace("'", "").replace("\u2019", "") for w in _WORD.findall(normalise(text))]


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stopwords, no single letters."""
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


def is_junk(sentence: str) -> bool:
    """Whether a line or sentence is feed furniture rather than reporting."""
    stripped = sentence.strip()
    return any(p.search(stripped) for p in _JUNK_PATTERNS)


def is_truncated(sentence: str) -> bool:
    """Excerpts often end mid-sentence with an ellipsis; such a fragment is not a claim."""
    s = sentence.rstrip(" \"'\u201d\u2019)")
    return s.endswith(("...", "\u2026")) or not s.endswith((".", "!", "?"))


def _protect_abbreviations(text: str) -> str:
    def protect(match: re.Match[str]) -> str:
        word = match.group(1)
        if (len(word) == 1 and word.isupper()) or word.lower().rstrip(".") in _ABBREVIATIONS:
            return word + "\x00"
        return match.group(0)

    # U.S. / U.K. style initialisms, then single words before a dot.
    text = re.sub(r"\b((?:[A-Za-z]\.){2,})(?=\s)", lambda m: m.group(1)[:-1] + "\x00", text)
    return re.sub(r"\b([A-Za-z][A-Za-z.]{0,5})\.(?=\s)", protect, text)


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences: paragraphs first, then sentence ends.

    Abbreviations (Mr., U.S., Jan.) and initials do not end sentences.
    """
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\r?\n", text):
        para = tidy(paragraph)
        if not para:
            continue
        protected = _protect_abbreviations(para)
        for piece in _SPLIT.split(protected):
            sentence = piece.replace("\x00", ".").strip()
            if sentence:
                out.append(sentence)
    return out


def clean_text(text: str) -> str:
    """Article text without feed furniture, inline markup or datelines."""
    text = _TAG.sub(" ", text)
    text = _BRACKET_JUNK.sub(" ", text)
    kept: list[str] = []
    for raw in re.split(r"\r?\n", text):
        line_text = _AGENCY.sub("", _DATELINE.sub("", tidy(raw)))
        if line_text and not is_junk(line_text):
            kept.append(line_text)
    return "\n".join(kept)


def article_sentences(text: str, *, min_words: int = 5) -> list[str]:
    """The usable sentences of an article: cleaned, complete and long enough."""
    out = []
    for sentence in split_sentences(clean_text(text)):
        if is_junk(sentence) or is_truncated(sentence) or _SPEAKER.match(sentence):
            continue
        if sentence.rstrip("\"'\u201d\u2019 ").endswith("?"):  # a question reports nothing
            continue
        if len(words(sentence)) < min_words:
            continue
        out.append(sentence)
    return out


def clean_title(title: str, outlet: str = "") -> str:
    """A headline without HTML and without a trailing " - Outlet" suffix."""
    title = tidy(_TAG.sub(" ", title))
    if outlet and normalise(title).endswith(normalise(outlet)):
        title = re.sub(r"\s*[-\u2013\u2014|:]\s*$", "", title[: len(title) - len(outlet)]).strip()
    match = _TITLE_SUFFIX.search(title)
    if match and len(title) - len(match.group(0)) >= 15:
        tail = match.group(0)
        # Outlet suffixes are short and capitalised ("- BBC News", "| Reuters").
        tail_words = re.findall(r"[A-Za-z]+", tail)
        if tail_words and all(w[0].isupper() for w in tail_words) and len(tail_words) <= 4:
            title = title[: match.start()].strip()
    return title.rstrip(" .")


# ---------------------------------------------------------------- vectors


Vector = dict[str, float]


def idf_weights(documents: Iterable[Sequence[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over token lists."""
    docs = [set(d) for d in documents]
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d)
    n = len(docs)
    return {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}


def tfidf(tokens: Sequence[str], idf: dict[str, float]) -> Vector:
    counts = Counter(tokens)
    vec = {t: (1 + math.log(c)) * idf.get(t, 1.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two unit vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def centroid(vectors: Sequence[Vector]) -> Vector:
    total: dict[str, float] = {}
    for vec in vectors:
        for t, v in vec.items():
            total[t] = total.get(t, 0.0) + v
    norm = math.sqrt(sum(v * v for v in total.values()))
    return {t: v / norm for t, v in total.items()} if norm else {}


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)

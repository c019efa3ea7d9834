"""Sentence splitting, junk filtering and text normalisation for summaries.

Everything here is pure and deterministic: the extractive summariser, the grounding
checks and ``/ask`` all see article text through these functions, so a fact that one
of them finds in a source the others find there too.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from bot.text.terms import normalise, words


def wordlist(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text``, in order (for readable word lists)."""
    return tuple(text.split())


# Abbreviations after which a full stop does not end a sentence (lower case, no dot).
# German capitalises nouns, so "3,5 Mrd. Euro" and "ca. 500" split a sentence unless
# their abbreviations are known; French and Spanish titles and months, too. Words that
# mostly end a sentence when abbreviated (the Russian for "year" after a date) are left
# out: a missed split joins two true sentences, a wrong one cuts a claim in half.
_ABBREVIATIONS = frozenset(
    wordlist(
        "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc corp ltd co no vs etc "
        "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m pres "
        "rev ft mt approx dept est fig "
        # German
        "mrd mio bzw vgl ggf inkl evtl jh sog ehem geb gest bzgl zzgl usw z.b d.h u.a "
        # French
        "mme mlle janv févr avr juil déc cf "
        # Spanish
        "sra srta dña núm pág aprox "
        # Russian (a capital after any other abbreviation nearly always opens a sentence)
        "ул проф акад"
    )
)
# ... and these only before a number ("ca. 500", "Nr. 5", "Tel. 030"): "based in Los
# Angeles, CA. The deal" and "He flexed his abs. The crowd" end their sentences.
_BEFORE_NUMBERS = frozenset(wordlist("ca nr env abs tel"))

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
        r"\u00a9|^\(c\)\s*\d{4}",  # copyright lines
        r"\u70b9\u51fb(?:\u8fd9\u91cc|\u6b64\u5904)",  # Chinese "click here"
        r"^opinion\s*:",  # a link to a column, left in the body
        # A call to the reader ("Take a peek at ...", a gallery's teaser) reports nothing.
        r"^(?:take a (?:peek|peak|tour)|check out|(?:don't|do not) miss"
        r"|scroll (?:down|through)|click through|learn more|find out more)\b",
        r"^(?:watch|see|view) (?:the|our|all|more) (?:full )?"
        r"(?:video|photos|pictures|images|gallery|clip|highlights|trailer)s?\b",
        r"^(?:reporting|writing|editing|translation|translated|edited) by\b",
        r"\b(?:contributed|additional) reporting\b",
        # Chinese credits: "储百亮(Chris Buckley)是《纽约时报》记者。", "……自香港报道。",
        # "翻译:…", "相关文章:", "…对本文有贡献。"
        r"\u662f\u300a[^\u300b]{1,20}\u300b[^\u3002]{0,12}"
        r"(?:\u8bb0\u8005|\u793e\u957f|\u7f16\u8f91|\u64b0\u7a3f\u4eba|\u4f5c\u8005)\u3002?$",
        r"\u81ea[^\u3002\uff0c,]{1,12}\u62a5\u9053\u3002?$",
        r"^(?:\u7ffb\u8bd1|\u7f16\u8bd1|\u8d23\u7f16|\u6765\u6e90)\s*[:\uff1a]",
        r"^\u76f8\u5173(?:\u6587\u7ae0|\u65b0\u95fb|\u62a5\u9053)",
        r"\u5bf9\u672c\u6587(?:\u4ea6)?\u6709(?:\u8d21\u732e|\u62a5\u9053)",
    )
)
_BRACKET_JUNK = re.compile(r"\[\s*(?:\u2026|\.\.\.|\+?\d+\s*chars?)\s*\]")
# "WASHINGTON (Reuters) - ", "SEOUL, South Korea \u2014 ", "PYONGYANG - ": a place in capitals,
# maybe a region and an agency, then a dash.
_DATELINE = re.compile(
    r"^[A-Z]{3,}(?:[ .'-]+[A-Z]{2,})*\.?(?:,\s+[A-Z][A-Za-z.]+(?:\s+[A-Z][A-Za-z.]+){0,2})?"
    r"\s*(?:\([A-Za-z .]{2,20}\))?\s*[-\u2013\u2014]+\s+"
)
# Chinese datelines: "新华社北京3月16日电", "中国军网北京3月16日电", "本报讯(记者 王明)":
# an agency or paper, a place, a date and 电/讯 (not 电话, 电视: a call or a broadcast),
# maybe a reporter's credit. Text has been through NFKC, so the brackets are ASCII.
_CHINESE_DATELINE = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,10}?\s*\d{1,2}\s*\u6708\s*\d{1,2}\s*\u65e5\s*"
    r"(?:\u7535(?![\u8bdd\u89c6\u8111\u5f71\u529b\u5b50\u53f0\u90ae\u62a5\u8baf])|\u8baf)"
    r"|\u672c\u62a5[\u4e00-\u9fff]{0,6}?\u8baf)\s*(?:\([^()]{1,30}\))?\s*"
)
# Broadcast transcripts: "MONTAGNE: And the next day..." is dialogue, not reporting.
_AGENCY = re.compile(r"^\((?:CNN|AP|AFP|Reuters|Bloomberg|UPI|dpa)\)\s*(?:[-\u2013\u2014]\s*)?")
_SPEAKER = re.compile(r"^[A-Z]{3,}(?:\s[A-Z]{2,}){0,2}:\s")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a]+")
# A sentence ends at . ! ? or an ellipsis followed by a space, or at the full-width
# Chinese and Japanese marks (no space follows those); Arabic ends questions with \u061f.
# The next sentence must not start with a lower-case letter (checked in code, since
# "lower case" spans every cased script).
_BOUNDARY = re.compile(
    r"[.!?\u2026\u061f][\"'\u201d\u2019)\]]*\s+"
    r"|[\u3002\uff01\uff1f][\"'\u201d\u2019\u300d\u300f)]*\s*"
    # NFKC turns the full-width ! and ? into ASCII ones, still followed by no space.
    r"|[!?][\"'\u201d\u2019\u300d\u300f)]*(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])"
)
_ENDINGS = (".", "!", "?", "\u3002", "\uff01", "\uff1f", "\u061f")
_QUESTION_MARKS = ("?", "\uff1f", "\u061f")
_TITLE_SUFFIX = re.compile(r"\s+[-\u2013\u2014|:]\s+[^-\u2013\u2014|:]{2,40}$")
_TAG = re.compile(r"</?[A-Za-z!][^>]{0,200}>")


def tidy(text: str) -> str:
    """Whitespace-collapsed text with display quotes kept (for output)."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text).strip()


def is_junk(sentence: str) -> bool:
    """Whether a line or sentence is feed furniture rather than reporting."""
    stripped = sentence.strip()
    return any(p.search(stripped) for p in _JUNK_PATTERNS)


def is_truncated(sentence: str) -> bool:
    """Excerpts often end mid-sentence with an ellipsis; such a fragment is not a claim."""
    s = sentence.rstrip(" \"'\u201d\u2019)")
    s = s.rstrip("\u300d\u300f")
    return s.endswith(("...", "\u2026")) or not s.endswith(_ENDINGS)


def _protect_abbreviations(text: str) -> str:
    def protect(match: re.Match[str]) -> str:
        word = match.group(1)
        # A lone capital is an initial ("J. Smith", Cyrillic ones too); a lone small letter
        # opens a pair ("z. B.", "d. h."), else it may end a sentence (a Russian year).
        if len(word) == 1 and (word.isupper() or _PAIRED.match(match.string, match.end())):
            return word + "\x00"
        low = word.lower().rstrip(".")
        if low in _ABBREVIATIONS or (
            low in _BEFORE_NUMBERS and _NUMBER_NEXT.match(match.string, match.end())
        ):
            return word + "\x00"
        return match.group(0)

    # U.S. / U.K. style initialisms, then single words before a dot, in any alphabet.
    text = _INITIALISM.sub(lambda m: m.group(1)[:-1] + "\x00", text)
    return _ABBREVIATED.sub(protect, text)


_PAIRED = re.compile(r"\s[^\W\d_]\.")
_NUMBER_NEXT = re.compile(r"\s+\d")
# Read from the first letter of a run only: tried at every letter of "a.a.a.…", the
# pattern made a hostile text quadratic.
_INITIALISM = re.compile(r"(?<![^\W\d_]\.)\b((?:[^\W\d_]\.){2,})(?=\s)")
_ABBREVIATED = re.compile(r"\b([^\W\d_](?:[^\W\d_]|\.){0,5})\.(?=\s)")


def _split_at_boundaries(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        nxt = text[m.end() : m.end() + 2].lstrip("\"'\u201c\u2018([\u300c")
        if not nxt or nxt[0].islower():
            continue
        pieces.append(text[start : m.end()])
        start = m.end()
    pieces.append(text[start:])
    return pieces


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
        for piece in _within_quotes(_split_at_boundaries(protected)):
            sentence = piece.replace("\x00", ".").strip()
            if sentence:
                out.append(sentence)
    return out


def _within_quotes(pieces: list[str]) -> list[str]:
    """Sentences of one quotation kept together ('"You put the balls in the fridge. You
    can tell the cold balls from the hot."'): apart, the second is someone's words with
    no quotation marks, and the first never closes. A quotation still open after
    ``_QUOTED_SENTENCES`` sentences (an excerpt cut mid-quote) is left as it was split."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        joined, end = pieces[i], i
        while _opens(joined) and end + 1 < len(pieces) and end + 1 - i < _QUOTED_SENTENCES:
            end += 1
            joined += pieces[end]
        if end > i and not _opens(joined):
            out.append(joined)
            i = end + 1
        else:
            out.append(pieces[i])
            i += 1
    return out


def _opens(text: str) -> bool:
    """Whether ``text`` leaves a quotation open: more opening than closing curly marks,
    or an odd number of straight double quotes."""
    curly = text.count("\u201c") - text.count("\u201d")
    return curly > 0 or (curly == 0 and text.count('"') % 2 == 1)


_QUOTED_SENTENCES = 3


def clean_text(text: str) -> str:
    """Article text without feed furniture, inline markup or datelines."""
    text = _TAG.sub(" ", text)
    text = _BRACKET_JUNK.sub(" ", text)
    kept: list[str] = []
    for raw in re.split(r"\r?\n", text):
        line_text = _AGENCY.sub("", _DATELINE.sub("", tidy(raw)))
        line_text = _CHINESE_DATELINE.sub("", line_text)
        if line_text and not is_junk(line_text):
            kept.append(line_text)
    return "\n".join(kept)


def article_sentences(text: str, *, min_words: int = 5) -> list[str]:
    """The usable sentences of an article: cleaned, complete and long enough."""
    if len(text) > _CACHED_UP_TO:
        return list(_split_article(text, min_words))
    return list(_article_sentences(text, min_words))


# A summary reads each article's sentences several times (candidates, the lead, the
# selection), and every new version of a story reads its old articles again: the split
# is kept for the articles in recent use (feed descriptions; long page texts are split
# each time rather than held).
_CACHED_UP_TO = 5000


@functools.lru_cache(maxsize=256)
def _article_sentences(text: str, min_words: int) -> tuple[str, ...]:
    return _split_article(text, min_words)


def _split_article(text: str, min_words: int) -> tuple[str, ...]:
    out = []
    for sentence in split_sentences(clean_text(text)):
        if is_junk(sentence) or is_truncated(sentence) or _SPEAKER.match(sentence):
            continue
        # A question reports nothing.
        if sentence.rstrip("\"'\u201d\u2019\u300d ").endswith(_QUESTION_MARKS):
            continue
        if len(words(sentence)) < min_words:
            continue
        out.append(sentence)
    return tuple(out)


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


# "中国军网 | 徐才厚…", "【真理部】…": a repost's title opens with the outlet it copied
# (CDT's style). NFKC (``tidy``) turns the full-width bar some use into "|".
_TITLE_SOURCE = re.compile(r"^\s*(?:\u3010([^\u3011]{1,12})\u3011|([^|:]{2,16}?)\s*\|\s*\S)")


def title_source(title: str) -> str:
    """The outlet a title credits before its words, or "" when it credits none."""
    match = _TITLE_SOURCE.match(tidy(title))
    if match is None:
        return ""
    source = (match.group(1) or match.group(2) or "").strip()
    return source if len(source.split()) <= 4 else ""


def title_sources(titles: Iterable[str]) -> list[str]:
    """The outlets a story's titles credit (:func:`title_source`), each once."""
    return list(dict.fromkeys(s for s in map(title_source, titles) if s))


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-\u2013\u2014")
    return (cut or text[: limit - 1]) + "…"

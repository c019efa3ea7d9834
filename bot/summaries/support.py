"""Support per sentence: is what a sentence says in one of the articles it cites?

A lexical check, in every language the text stack knows (``bot.text.terms``): the
sentence's content words are stemmed in the article's language and looked up in each
cited article; each word counts by its rarity in the story (IDF over all the story's
sentences, a word no source uses weighs most), and the best-covered cited article must
reach :func:`threshold` of the sentence's weight. Thresholds were measured on the
AllSides dev stories (``benchmarks/bench_support.py``): editors' paraphrases of the
articles against sentences written for other stories.

Also dropped, whatever the coverage: remarks and calls to the reader (``@everyone``,
"Share this story"), questions, evaluations that no cited article makes ("a disaster",
"widely criticised", "furious"), and a sentence whose negation or antonym flips the
source sentence it matches best.

What it cannot catch: a sentence that recombines an article's own words into a claim
the article does not make ("X resigned" when X is named and someone else resigned), or
a paraphrase whose meaning changed with no negation, antonym or new word. That needs an
entailment model; this check is the floor under it, not a substitute.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.text.sentences import clean_text, clean_title, split_sentences, wordlist
from bot.text.terms import content_words, normalise, stem, stopwords, words

# Share of a sentence's weight that one cited article must contain, per language.
# Measured with benchmarks/bench_support.py. English, on the AllSides dev stories: at
# 0.6, 99.4% of on-topic sentences written for another story are stopped (97.8% at 0.5,
# 99.6% at 0.65 and above) while every step up loses ~4% of the editors' paraphrases.
# Chinese, on the real feeds (a headline against its own report as the paraphrase):
# character pairs survive rewording less often than stems, so 0.45 passes as many
# headlines as 0.6 does in English, and still stops every sentence of another report.
# The other languages have no measurement data yet and use the English value.
THRESHOLDS = {"en": 0.6, "zh": 0.45}
DEFAULT_THRESHOLD = 0.6

# Negation cues per script/language (normalised, lower case). Chinese and Japanese have
# no spaces: their cues are matched as characters.
_NEGATIONS = frozenset(
    wordlist(
        "not no never n't none nobody nothing neither nor without cannot "
        "nicht kein keine keinen keinem keiner nie niemals ne pas jamais aucun aucune "
        "nunca ningún ninguna ninguno jamás tampoco не нет ни никогда ничего никто "
        "لا لم لن ليس ليست ما غير"
    )
)
_CJK_NEGATED = re.compile("[不没沒未无無非别否].?")
# Pairs whose swap turns a report into its opposite (stems of our English stemmer).
_ANTONYM_PAIRS = (
    ("rise", "fall"), ("rose", "fell"), ("risen", "fallen"), ("ris", "fall"),
    ("increas", "decreas"), ("win", "lose"), ("won", "lost"), ("approv", "reject"),
    ("accept", "reject"), ("allow", "ban"),
    ("higher", "lower"), ("gain", "loss"), ("guilty", "innocent"), ("open", "clos"),
    ("support", "oppos"), ("pass", "fail"), ("confirm", "deni"), ("up", "down"),
    ("befor", "aft"), ("ad", "remov"), ("rais", "cut"), ("acquit", "convict"),
)  # fmt: skip
_ANTONYMS: dict[str, set[str]] = {}
for _a, _b in _ANTONYM_PAIRS:
    _ANTONYMS.setdefault(_a, set()).add(_b)
    _ANTONYMS.setdefault(_b, set()).add(_a)

# Evaluations an editor's sentence may carry only when the article does (prefixes of
# normalised words, so "criticised" and "criticized" both count).
_EVALUATIVE = wordlist(
    "disaster catastroph furious fury outrag shock controvers critici slam histor "
    "unprecedent devastat tragic landmark remarkabl alarm stunn shame disgrace brillian "
    "terribl horribl awful appall scandal fiasco chao embarrass blunder triumph heroic "
    "baffl absurd ridicul insan incredibl amazing widely dramatic huge blow massive "
    "katastroph skandal empör wütend catastroph scandale furieu honte desastr escándal "
    "furios vergonz катастроф скандал возмущ позор ужас кошмар "
    "灾难 災難 丑闻 醜聞 愤怒 憤怒 震惊 震驚 可耻 كارث فضيح غاضب مروع"
)
_QUOTED = re.compile(r'"[^"]{2,400}"')
_CJK_QUOTES = str.maketrans({"\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"'})
_QUESTION_END = re.compile(r"[?\uff1f\u061f]\W*$")
# Remarks to the reader: calls to act, mentions of everyone, the reader addressed.
_READER = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"@\u200b?(everyone|here)\b",
        r"^\W*(please\s+)?(share|retweet|repost|subscribe|follow us|like and|sign up|"
        r"don't miss|do not miss|check out|stay tuned|spread the word|click|tap|donate|"
        r"tell (your|everyone)|read more|find out more|learn more|watch)\b",
        r"\b(share|forward|spread) (this|the|our) (story|post|article|news|word)\b",
        r"\b(teilen sie|abonnieren sie|partagez|abonnez-vous|comparte|compártelo|"
        r"suscríbete|поделитесь|подпишитесь|расскажите друзьям)\b",
        r"(转发|分享|關注我們|关注我们|点赞|訂閱|订阅|شارك|اشترك|تابعونا)",
    )
)
# What grounding.neutralise makes of a raw mention: not a word of the claim.
_MENTIONS = re.compile(r"@\u200b(user|role)\b|#channel\b")
_YOU = frozenset(wordlist("you your yours yourself yourselves"))


def unquoted(text: str) -> str:
    """Normalised text with quotations removed (what the sentence says in its own voice)."""
    return _QUOTED.sub(" ", normalise(text).translate(_CJK_QUOTES))


@dataclass(frozen=True)
class SourceText:
    """One article as the support check sees it: stems per sentence, in its language."""

    language: str
    sentences: tuple[frozenset[str], ...]
    negated: tuple[frozenset[str], ...]
    stems: frozenset[str]
    prefixes: frozenset[str]
    words: frozenset[str]


# Words that attribute rather than claim ("reported", "added"): a paraphrase may use them
# where the article said "said".
_ATTRIBUTION = frozenset(wordlist("report reported reports reportedly added adds noted notes"))


def claim_stems(text: str, lang: str) -> list[str]:
    """The stems that carry a claim: content words, not numbers (checked exactly apart)
    nor words of attribution."""
    return [
        stem(w, lang)
        for w in content_words(text, lang)
        if not w.isdigit() and w not in _ATTRIBUTION
    ]


def negated(text: str, lang: str) -> frozenset[str]:
    """What the sentence's own voice (outside quotes) negates: the stem of the first
    content word after each negation cue ("not" in "was not the winner" -> ``winn``),
    and for Chinese and Japanese the cue with the character after it."""
    plain = unquoted(text)
    toks = words(plain)
    stop = stopwords(lang)
    out: set[str] = set()
    for i, t in enumerate(toks):
        if t in _NEGATIONS or t.endswith("n't"):
            after = [w for w in toks[i + 1 : i + 5] if w not in stop and w not in _NEGATIONS]
            before = [w for w in toks[max(0, i - 4) : i] if w not in stop and w not in _NEGATIONS]
            scope = stem(after[0], lang) if after else ""
            # "not no explanation" negates twice: each negation of a word counts.
            while scope in out:
                scope += "#"
            out.add(scope)
            if before:  # what the negation hangs on: "passed ... not unanimously"
                out.add(f"{stem(before[-1], lang)}>{scope}")
    out.update(m.group(0) for m in _CJK_NEGATED.finditer(plain))
    return frozenset(out)


def source_text(title: str, body: str, lang: str) -> SourceText:
    texts = [clean_title(title), *split_sentences(clean_text(body))]
    sentences = tuple(frozenset(claim_stems(t, lang)) for t in texts if t)
    stems = frozenset().union(*sentences) if sentences else frozenset()
    return SourceText(
        language=lang,
        sentences=sentences,
        negated=tuple(negated(t, lang) for t in texts if t),
        stems=stems,
        prefixes=frozenset(s[:k] for s in stems for k in range(4, len(s))),
        words=frozenset(words(normalise(" ".join(texts)))),
    )


def idf_of(sources: Iterable[SourceText]) -> dict[str, float]:
    """Rarity of each stem over every sentence of the story (not just the cited ones)."""
    df: Counter[str] = Counter()
    n = 0
    for src in sources:
        for sentence in src.sentences:
            df.update(sentence)
            n += 1
    return {s: math.log((n + 1) / (c + 1)) + 1.0 for s, c in df.items()} | {"": _unseen(n)}


def _unseen(n: int) -> float:
    return math.log(n + 1) + 1.0


def found(s: str, src: SourceText) -> bool:
    """A stem is in the article, or a related form of it ("closed"/"closure")."""
    if s in src.stems:
        return True
    if len(s) < 4 or not s.isalpha():
        return False
    return s in src.prefixes or any(s[:k] in src.stems for k in range(4, len(s)))


def coverage(stems: Sequence[str], src: SourceText, idf: dict[str, float]) -> float:
    """The IDF-weighted share of ``stems`` that ``src`` contains (1.0 for no stems)."""
    unseen = idf[""]
    total = sum(idf.get(s, unseen) for s in stems)
    if total <= 0:
        return 1.0
    return sum(idf.get(s, unseen) for s in stems if found(s, src)) / total


def threshold(lang: str) -> float:
    return THRESHOLDS.get(lang, DEFAULT_THRESHOLD)


def is_reader_remark(text: str, cited: Sequence[SourceText]) -> bool:
    """A call to the reader, a mention of everyone, or the reader addressed as "you"
    where no cited article does so."""
    plain = unquoted(text)
    if any(p.search(plain) for p in _READER):
        return True
    says_you = bool(set(words(plain)) & _YOU)
    return says_you and not any(src.words & _YOU for src in cited)


def is_question(text: str) -> bool:
    return bool(_QUESTION_END.search(unquoted(text)))


def _unsupported_evaluation(text: str, cited: Sequence[SourceText]) -> bool:
    """An evaluative word ("disaster", "criticised") that no cited article uses in any
    form (the shared root is enough: "criticism" supports "criticised")."""
    for w in words(unquoted(text)):
        roots = [p for p in _EVALUATIVE if w.startswith(p)]
        if roots and not any(v.startswith(tuple(roots)) for src in cited for v in src.words):
            return True
    return False


def _best_sentence(stems: Sequence[str], src: SourceText, idf: dict[str, float]) -> int:
    """The source sentence that holds most of the claim's weight (-1: none holds half)."""
    unseen = idf[""]
    claim = set(stems)
    total = sum(idf.get(s, unseen) for s in claim)
    scores = [sum(idf.get(s, unseen) for s in claim & sentence) for sentence in src.sentences]
    if not scores or total <= 0:
        return -1
    best = max(range(len(scores)), key=lambda i: scores[i])
    return best if scores[best] >= total / 2 else -1


def _flips(text: str, stems: Sequence[str], src: SourceText, idf: dict[str, float]) -> bool:
    """The sentence negates, or swaps for its antonym, the source sentence it matches:
    it negates a word the source does not, or states a word the source negates."""
    best = _best_sentence(stems, src, idf)
    if best < 0:
        return False
    sentence = src.sentences[best]
    mine, theirs = negated(text, src.language), src.negated[best]
    if {w for w in mine if ">" not in w} - theirs:
        return True
    # A negation the claim dropped: both words around it are in the claim, unnegated.
    for pair in (w for w in theirs if ">" in w):
        before, after = pair.split(">")
        if after not in mine and before != after and {before, after} <= set(stems):
            return True
    return any(
        s not in sentence and _ANTONYMS.get(s, set()) & sentence for s in stems if s in _ANTONYMS
    )


def support_problem(
    text: str, cited: Sequence[SourceText], idf: dict[str, float], *, min_share: float = -1.0
) -> str | None:
    """Why the cited articles do not support ``text`` (None: one of them does).

    ``min_share`` overrides the per-language threshold (tests and measurements)."""
    if is_reader_remark(text, cited):
        return "reader"
    if is_question(text):
        return "question"
    if not cited:
        return "uncited"
    scored = []
    for src in cited:
        stems = claim_stems(_MENTIONS.sub(" ", text), src.language)
        scored.append((coverage(stems, src, idf), src, stems))
    share, best, stems = max(scored, key=lambda t: t[0])
    if _unsupported_evaluation(text, cited):
        return "opinion"
    if share < (min_share if min_share >= 0 else threshold(best.language)):
        return "unsupported_claim"
    if _flips(text, stems, best, idf):
        return "contradiction"
    return None

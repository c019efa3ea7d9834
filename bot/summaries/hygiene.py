"""Text hygiene: what a summary sentence may not carry, whoever wrote it.

No pings (mentions, ``@everyone``), no markup, no assistant chatter, no first-person
voice or shouting outside quotes, no instructions aimed at a model. Used by grounding
(on model output) and the extractive summariser (on article sentences).
"""

from __future__ import annotations

import re

from bot.text.sentences import tidy
from bot.text.terms import normalise

_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_MENTION_WORDS = {"@": "@\u200buser", "@!": "@\u200buser", "@&": "@\u200brole", "#": "#channel"}
_AT_WORD = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]{0,200}>")
MD_LINK = re.compile(r"!?\[([^\]]{0,300})\]\(([^)\s]{0,2000})\)")
_MD_MARKS = re.compile(r"(\*\*|__|~~|\|\||`+|(?<!\w)\*|\*(?!\w))")
_LINE_MARKS = re.compile(r"^\s*(#{1,6}\s+|>\s*|[-*+\u2022]\s+|\d+[.)]\s+)")
QUOTED = re.compile(r'"([^"]{2,400})"')

_CHATTER = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\W*(sure|certainly|of course|absolutely|okay|ok)\b[\s,!.:]",
        r"\bhere(?:'s| is| are)\b.{0,40}\b(summary|story|article|overview|version|rewrite)\b",
        r"\bas an (ai|artificial intelligence|assistant|language model)\b",
        r"\b(large )?language model\b",
        r"\bai (assistant|model)\b",
        r"\bi (have|'ve) (aimed|tried|attempted|endeavou?red)\b",
        r"\blet me know\b",
        r"\bi hope (this|that) (helps|summary)\b",
        r"\bfeel free to\b",
        r"\b(would|could) (be happy|like) to (help|modify|expand)\b",
        r"\bif you (would|'d) like\b",
        r"\b(modify|expand) (this|the) (story|summary|article)\b",
        r"\bin (this|my) (summary|response|answer)\b",
    )
)
_INJECTION = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget)\b.{0,30}\b(instructions|prompts?|rules|directions)\b",
        r"\bsystem prompt\b",
        r"\byou are now\b",
        r"\bnew instructions\b",
        r"\b(developer|jailbreak|dan) mode\b",
        r"</?(article|system|instructions?|data)>",
    )
)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|me|my)\b", re.IGNORECASE)
# The writer's own voice in the plural ("we are asking ourselves", "what we know"),
# read with its case: "Our Lady of Guadalupe", "WE Charity" and "Our Revolution" are
# names, so a capital "We" or "Our" counts only where a sentence opens and no name
# follows. "Us" is left out: it is "US" once folded.
_WE = re.compile(
    r"\b(?:we|we're|we've|we'd|we'll|our)\b"
    r"|^\W*(?:We|We're|We've|We'd|We'll|Our)\b(?!\s+[A-Z])"
)


def neutralise(text: str) -> str:
    """Text that cannot ping anyone and carries no markup.

    ``@everyone`` and ``@here`` get a zero-width space after the ``@`` so no platform
    resolves them; raw mentions (``<@123>``, ``<#1>``, ``<@&1>``) become plain words;
    HTML tags and Markdown emphasis, headings and link syntax are removed (link text
    kept). Idempotent: neutralising twice changes nothing.
    """
    for _ in range(20):  # removing one mark can join two others ("|*|" -> "||")
        cleaned = _neutralise_once(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def _neutralise_once(text: str) -> str:
    text = MD_LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub(" ", text)
    text = _MENTION.sub(lambda m: _MENTION_WORDS[m.group(1)], text)
    text = _AT_WORD.sub(lambda m: "@\u200b" + m.group(1), text)
    text = _LINE_MARKS.sub("", text)
    text = _MD_MARKS.sub("", text)
    return tidy(text.replace("<", "\u2039").replace(">", "\u203a"))


def normalise_quotes(text: str) -> str:
    for mark in "\u201c\u201d\u201e\u00ab\u00bb\u300c\u300d\u300e\u300f":
        text = text.replace(mark, '"')
    return text


def is_chatter(text: str) -> bool:
    """Assistant talk, or a first-person voice outside quotes (news reports in the third)."""
    if any(p.search(text) for p in _CHATTER):
        return True
    if _FIRST_PERSON.search(QUOTED.sub(" ", normalise(text))):
        return True
    return _WE.search(QUOTED.sub(" ", normalise_quotes(text).replace("\u2019", "'"))) is not None


def is_shouting(text: str) -> bool:
    """Exclamations or capitals outside quotes: not the tone of a news report."""
    unquoted = QUOTED.sub(" ", normalise_quotes(text))
    letters = [c for c in unquoted if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    return "!" in unquoted or (len(letters) >= 20 and upper / len(letters) > 0.5)


def is_injection(text: str) -> bool:
    """Text that tries to instruct a model (echoed from an article or invented)."""
    return any(p.search(text) for p in _INJECTION)


def is_unattributed_quote(text: str) -> bool:
    """A sentence that is all quotation: someone's words with nobody named as saying
    them ('"They are more than a list of names."'). The sentence that says who spoke
    is another one, which a summary may not pick."""
    marked = normalise_quotes(text)
    said = QUOTED.sub(" ", marked)
    return '"' in marked and sum(c.isalnum() for c in said) < 2

"""A story's id read back from the text of a post of ours, in whatever language it was in.

A reply to a post that has no buttons left (a platform dropped them, an old post) still
names its story in the small print: ``story k7q2``, ``Meldung k7q2``, or in a right-to-left
chat the id between directional isolates. The word before the id is whatever each catalog
says for "story", so the pattern is built from the catalogs, not from English.
"""

from __future__ import annotations

import re

from bot.core.words import FSI, LRI, PDI, RLI, WordBook

_MARK = "\x00"  # stands for the id while the footer's words are looked at
_ID = r"[a-z0-9]{2,12}"
_ISOLATES = re.escape(LRI + RLI + FSI + PDI)


def story_label(book: WordBook, language: str) -> str:
    """What comes before a story's id in ``language``'s footer ("story ", "Meldung ")."""
    filled = book.words(language).gettext("story %(story)s", story=_MARK)
    return filled.partition(_MARK)[0].strip(LRI + RLI + FSI + PDI)


def story_mention(book: WordBook) -> re.Pattern[str]:
    """A pattern whose first group is the story id after "story" in any catalog language
    (English always), with or without isolates around the id."""
    labels = {story_label(book, language) for language in book.languages} | {"story "}
    # Longest first, so a label that ends another one does not win by being shorter.
    words = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True) if label)
    return re.compile(rf"(?<!\w)(?:{words})\s*[{_ISOLATES}]?({_ID})[{_ISOLATES}]?(?![a-z0-9])")


def mentioned_story(text: str, pattern: re.Pattern[str]) -> str | None:
    """The story id the text names last (the footer comes after the summary)."""
    found = pattern.findall(text)
    return str(found[-1]) if found else None

"""The bot's own words in a chat's language: gettext messages and CLDR formats.

The messages come from catalogs that an adapter loads (``adapters/catalogs.py``; the
core reads no files) and the composition root hands in as a ``WordBook``. Formats
(numbers, dates, waits) are pure functions of the locale (Babel's CLDR data).

Which language is spoken is ambient, like gettext's own ``_``: the two seams that know
the chat (``Commands`` for a command or a press, ``Dispatcher`` for a post or a digest)
enter ``speaking(words)`` around their work, and everything below them calls ``_`` and
``n_``. Outside any seam (logs, the CLI, tests that set nothing) the words are English.
Messages use named placeholders (``%(count)s``) so a translation may reorder them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_timedelta
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from bot.core.locales import DEFAULT_LANGUAGE, base_language, writes_right_to_left

# Unicode directional isolates: a left-to-right run (a citation marker, a story id, a URL)
# inside right-to-left text keeps its own order and does not drag its neighbours along.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"


class Catalog(Protocol):
    """One language's messages (``gettext.NullTranslations`` and Babel's ``Translations``
    fit)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class Untranslated:
    """The messages as written in the code: English."""

    def gettext(self, message: str, /) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


def _fill(text: str, values: Mapping[str, object]) -> str:
    # Only a message with placeholders is %-formatted, so a bare "%" stays literal.
    return text % values if values else text


@dataclass(frozen=True, slots=True)
class Words:
    """What the bot says in one language, and how it writes numbers and times there."""

    language: str = DEFAULT_LANGUAGE
    catalog: Catalog = field(default_factory=Untranslated)

    @property
    def locale(self) -> Locale:
        try:
            return Locale.parse(self.language, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            return Locale.parse(DEFAULT_LANGUAGE)

    @property
    def right_to_left(self) -> bool:
        return writes_right_to_left(self.language)

    @property
    def english(self) -> bool:
        return base_language(self.language) == "en"

    def gettext(self, message: str, /, **values: object) -> str:
        return _fill(self.catalog.gettext(message), values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The plural form for ``n``; ``%(count)s`` is ``n`` written for the locale."""
        values.setdefault("count", self.number(n))
        return _fill(self.catalog.ngettext(singular, plural, n), values)

    def number(self, n: float) -> str:
        return str(format_decimal(n, locale=self.locale))

    def dollars(self, micro_usd: int) -> str:
        shown = format_currency(
            micro_usd / 1e6, "USD", format="¤#,##0.0000", currency_digits=False, locale=self.locale
        )
        return str(shown)

    def clock(self, when: datetime) -> str:
        """A time of day in UTC: ``14:03 UTC``."""
        if self.english:
            return when.strftime("%H:%M UTC")
        return f"{format_skeleton('Hm', when, tzinfo=when.tzinfo, locale=self.locale)} UTC"

    def moment(self, when: datetime) -> str:
        """A day and time in UTC: ``05 Sep 14:03 UTC``, ``5. Sept. 14:03 UTC``."""
        if self.english:
            return when.strftime("%d %b %H:%M UTC")
        day = format_skeleton("MMMd", when, tzinfo=when.tzinfo, locale=self.locale)
        return f"{day} {self.clock(when)}"

    def local_moment(self, local: datetime, *, with_day: bool) -> str:
        """A time in the chat's own zone (``local`` carries it), with its weekday and date
        when ``with_day``: ``Mo., 5. Feb. 14:00``."""
        time = format_skeleton("Hm", local, tzinfo=local.tzinfo, locale=self.locale)
        if not with_day:
            return str(time)
        day = format_skeleton("MMMEd", local, tzinfo=local.tzinfo, locale=self.locale)
        return f"{day} {time}"

    def wait(self, delta: timedelta) -> str:
        """How long from now: ``in 5 minutes``, ``in 5 Minuten``."""
        return str(format_timedelta(delta, add_direction=True, threshold=1.0, locale=self.locale))

    def listing(self, items: Sequence[str]) -> str:
        """``a, b and c`` in the locale's way."""
        return str(format_list(list(items), locale=self.locale)) if items else ""

    def isolate(self, text: str) -> str:
        """``text`` (a marker, an id, a URL) kept in its own direction in a right-to-left
        chat; unchanged elsewhere."""
        return f"{FSI}{text}{PDI}" if self.right_to_left and text else text


ENGLISH = Words()


class WordBook:
    """Every language's ``Words``: catalogs by language code, chosen by base language
    ("de-AT" speaks "de"), English for a language without a catalog."""

    def __init__(self, catalogs: Mapping[str, Catalog] | None = None) -> None:
        self._catalogs = dict(catalogs or {})
        self._cache: dict[str, Words] = {}

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({DEFAULT_LANGUAGE, *self._catalogs}))

    def words(self, language: str) -> Words:
        if language not in self._cache:
            catalog = self._catalogs.get(language) or self._catalogs.get(base_language(language))
            # Formats follow the chat's locale even where the messages fall back to English.
            self._cache[language] = Words(language, catalog or Untranslated())
        return self._cache[language]


_spoken: ContextVar[Words] = ContextVar("newsbot_words", default=ENGLISH)


def spoken() -> Words:
    """The words of the chat being answered now (English outside any)."""
    return _spoken.get()


@contextmanager
def speaking(words: Words) -> Iterator[Words]:
    """Answer in ``words`` within the block (a command, a delivery)."""
    token = _spoken.set(words)
    try:
        yield words
    finally:
        # A send abandoned when its task was destroyed is closed later by the garbage
        # collector, in whatever context is current then: there is nothing of ours to undo.
        with suppress(ValueError):
            _spoken.reset(token)


def _(message: str, /, **values: object) -> str:
    """``message`` in the current chat's language, its ``%(name)s`` placeholders filled."""
    return _spoken.get().gettext(message, **values)


def n_(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The plural form for ``n`` in the current chat's language (``%(count)s`` is ``n``)."""
    return _spoken.get().ngettext(singular, plural, n, **values)


def N_(message: str, /) -> str:
    """Marks ``message`` for the catalogs; it is translated where it is shown (``_``)."""
    return message


def isolate(text: str) -> str:
    """``text`` isolated from the surrounding direction in a right-to-left chat."""
    return _spoken.get().isolate(text)


def numeral(n: float) -> str:
    """``n`` written for the current chat's locale: ``1,234``, ``1.234``, ``1 234``."""
    return _spoken.get().number(n)


def dollars(micro_usd: int) -> str:
    """An estimated cost in millionths of a dollar, to four decimals: ``$0.0012``."""
    return _spoken.get().dollars(micro_usd)

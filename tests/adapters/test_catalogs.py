"""The message catalogs: every message the code shows is translated in every catalog
language, with the same placeholders and every plural form, and nothing fuzzy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from adapters.catalogs import LOCALES_DIR, catalog_path, load_word_book
from bot.core.locales import CATALOG_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
# The same keywords as `make catalogs` (pybabel extract -k 'n_:1,2' -k N_).
KEYWORDS = {**DEFAULT_KEYWORDS, "n_": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")
# CLDR's plural categories: Russian has one, few, many (and other for fractions, which a
# count never is); Arabic has zero, one, two, few, many, other; Chinese has one form.
EXPECTED_FORMS = {"en": 2, "de": 2, "fr": 3, "es": 3, "ru": 3, "ar": 6, "zh": 1}

Key = str | tuple[str, str]


def code_messages() -> set[Key]:
    """Every message the code marks for translation (``_``, ``n_``, ``N_``)."""
    found: set[Key] = set()
    for folder in ("bot", "adapters"):
        method_map = [("**.py", "python")]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def names(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def problems(catalog: Catalog, wanted: set[Key]) -> list[str]:
    """What is wrong with ``catalog`` for the messages ``wanted``: missing, fuzzy, empty,
    placeholders that differ, plural forms missing."""
    found: list[str] = []
    for key in sorted(wanted, key=str):
        message = catalog.get(key[0] if isinstance(key, tuple) else key)
        if message is None or not message.string:
            found.append(f"missing: {key!r}")
            continue
        if message.fuzzy:
            found.append(f"fuzzy: {key!r}")
        if isinstance(key, tuple):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(strings) != catalog.num_plurals or not all(strings):
                found.append(f"plural forms: {key!r} has {len(strings)} of {catalog.num_plurals}")
            allowed = names(key[0]) | names(key[1])
            needed = allowed - {"count"}  # a form for exactly one may say "one" in words
            for form in strings:
                if not needed <= names(form) <= allowed:
                    found.append(f"placeholders: {key!r} → {form!r}")
        else:
            text = message.string if isinstance(message.string, str) else message.string[0]
            if names(text) != names(key):
                found.append(f"placeholders: {key!r} → {text!r}")
    return found


def read_catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


def test_the_code_marks_the_bots_words() -> None:
    wanted = code_messages()
    assert "Mute this story" in wanted
    assert ("%(count)s outlet", "%(count)s outlets") in wanted


PRESENT = sorted(p.parents[1].name for p in LOCALES_DIR.glob("*/LC_MESSAGES/newsbot.po"))


def test_every_language_the_bot_promises_has_a_catalog() -> None:
    # /language lists CATALOG_LANGUAGES as the languages of the bot's own words.
    assert set(CATALOG_LANGUAGES) <= set(PRESENT)


@pytest.mark.parametrize("language", PRESENT)
def test_catalog_translates_every_message(language: str) -> None:
    catalog = read_catalog(language)
    assert problems(catalog, code_messages()) == []


@pytest.mark.parametrize("language", PRESENT)
def test_catalog_has_the_languages_plural_forms(language: str) -> None:
    catalog = read_catalog(language)
    assert catalog.num_plurals == EXPECTED_FORMS[language]
    assert catalog.plural_forms.startswith(f"nplurals={EXPECTED_FORMS[language]};")


def test_a_missing_message_is_found() -> None:
    catalog = Catalog(locale="de")
    catalog.add("Mute this story", "Diese Meldung stummschalten")
    assert problems(catalog, {"Mute this story", "Full story"}) == ["missing: 'Full story'"]


def test_a_changed_placeholder_is_found() -> None:
    catalog = Catalog(locale="de")
    catalog.add("story %(story)s", "Meldung %(id)s")
    catalog.add(("%(count)s outlet", "%(count)s outlets"), ("%(count)s Medium", "Medien"))
    found = problems(catalog, {"story %(story)s", ("%(count)s outlet", "%(count)s outlets")})
    assert found == ["placeholders: 'story %(story)s' → 'Meldung %(id)s'"]


def test_a_missing_plural_form_and_a_fuzzy_entry_are_found() -> None:
    catalog = Catalog(locale="ru")
    catalog.add(
        ("%(count)s outlet", "%(count)s outlets"), ("%(count)s издание", "%(count)s издания", "")
    )
    catalog.add("Full story", "Полностью", flags=("fuzzy",))
    found = problems(catalog, {("%(count)s outlet", "%(count)s outlets"), "Full story"})
    assert sorted(found) == [
        "fuzzy: 'Full story'",
        "plural forms: ('%(count)s outlet', '%(count)s outlets') has 3 of 3",
    ]


def test_loaded_catalogs_speak_their_language() -> None:
    book = load_word_book()
    german = book.words("de-AT")
    assert german.gettext("Mute this story") == "Diese Meldung stummschalten"
    assert german.ngettext("%(count)s outlet", "%(count)s outlets", 1) == "1 Medium"
    assert german.ngettext("%(count)s outlet", "%(count)s outlets", 1200) == "1.200 Medien"
    # A language without a catalog: English words, its own number formats.
    assert book.words("pt-BR").ngettext("%(count)s outlet", "%(count)s outlets", 1200) == (
        "1.200 outlets"
    )

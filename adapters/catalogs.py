"""The bot's message catalogs: the ``.po`` files under ``adapters/locales``, read at start.

Catalogs are kept as ``.po`` text only and compiled in memory when the bot starts
(``read_po`` then ``write_mo``, a few milliseconds for all of them): a clean clone, an
editable install and a wheel all run without a build step, and no compiled ``.mo`` can
go stale beside its ``.po``. Fuzzy entries are left out, as ``msgfmt`` leaves them out.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.core.words import Catalog, WordBook

DOMAIN = "newsbot"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"


def catalog_path(language: str, root: Path = LOCALES_DIR) -> Path:
    return root / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(path: Path, language: str) -> Catalog:
    """One ``.po`` file as gettext translations (``ValueError`` if it is not one)."""
    with path.open("rb") as po:
        catalog = read_po(po, locale=language.replace("-", "_"), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are skipped
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def load_catalogs(root: Path = LOCALES_DIR) -> dict[str, Catalog]:
    """Every language with a catalog under ``root``, by its directory's name."""
    found: dict[str, Catalog] = {}
    for path in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = path.parents[1].name.replace("_", "-")
        found[language] = load_catalog(path, language)
    return found


def load_word_book(root: Path = LOCALES_DIR) -> WordBook:
    """The ``WordBook`` the composition root hands to commands and the dispatcher."""
    return WordBook(load_catalogs(root))

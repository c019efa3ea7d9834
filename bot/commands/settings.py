"""``/settings`` and ``/language``: a chat's own settings (time zone, language)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.commands.base import Invocation, card
from bot.commands.digests import DigestCommands
from bot.core.cards import Card
from bot.core.domain import ChatSettings
from bot.core.errors import CommandError
from bot.core.locales import CATALOG_LANGUAGES, choose_language, language_name, parse_language
from bot.delivery.render import shorten

SETTINGS_HINT = "e.g. /settings timezone Europe/Berlin (IANA names; the default is UTC)."
LANGUAGE_HINT = "e.g. /language de, /language pt-BR; /language default follows the platform."


def check_timezone(name: str) -> str:
    """The IANA zone's canonical spelling; ``CommandError`` when there is no such zone."""
    wanted = name.strip()
    by_fold = {zone.casefold(): zone for zone in available_timezones()}
    found = by_fold.get(wanted.casefold())
    if found is None or wanted.casefold() in ("localtime", "factory"):
        raise CommandError(
            f"I don't know the time zone {shorten(wanted, 40)!r}. Use an IANA name such as "
            "Europe/Berlin, America/New_York or UTC."
        )
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise CommandError(f"The time zone {found} cannot be used here.") from err
    return found


class SettingsCommands(DigestCommands):
    async def settings(self, inv: Invocation, args: str) -> Card:
        name, _, value = args.strip().partition(" ")
        if not name:
            current = await self.storage.chat_settings(inv.destination)
            shown = self.chat_language(current)
            return card(
                f"This chat's time zone: {current.timezone}. Change it: " + SETTINGS_HINT,
                f"This chat's language: {language_name(shown)} ({shown}). Change it: "
                + LANGUAGE_HINT,
            )
        if name.lower() not in ("timezone", "tz", "time-zone"):
            raise CommandError(f"I have no setting {shorten(name, 30)!r}. " + SETTINGS_HINT)
        if not value.strip():
            raise CommandError("Which time zone? " + SETTINGS_HINT)
        self._require_manage(inv)
        zone = check_timezone(value)
        await self.storage.set_timezone(inv.destination, zone)
        moved = await self.reschedule_digests(inv.destination, zone)
        digests = f" ({moved} digest{'s' if moved != 1 else ''} rescheduled)" if moved else ""
        return card(f"This chat's time zone is now {zone}: digests and /catchup use it{digests}.")

    def chat_language(self, settings: ChatSettings) -> str:
        return choose_language(settings.language, settings.language_hint, self.default_language)

    async def language(self, inv: Invocation, args: str) -> Card:
        """Show or set the language the chat's posts and the bot's words are in."""
        wanted = args.strip()
        if not wanted:
            current = await self.storage.chat_settings(inv.destination)
            shown = self.chat_language(current)
            how = "chosen here" if current.language else "the platform's or the bot's default"
            return card(
                f"This chat's language: {language_name(shown)} ({shown}), {how}.",
                "Change it: " + LANGUAGE_HINT,
                "My own words are in: "
                + ", ".join(f"{language_name(c)} ({c})" for c in CATALOG_LANGUAGES)
                + "; summaries are translated into any language.",
            )
        self._require_manage(inv)
        if wanted.lower() in ("default", "auto", "reset"):
            await self.storage.set_language(inv.destination, None)
            current = await self.storage.chat_settings(inv.destination)
            shown = self.chat_language(current)
            return card(f"This chat now follows the default: {language_name(shown)} ({shown}).")
        code = parse_language(wanted)
        if code is None:
            raise CommandError(
                f"I don't know the language {shorten(wanted, 35)!r}. " + LANGUAGE_HINT
            )
        await self.storage.set_language(inv.destination, code)
        return card(f"This chat's language is now {language_name(code)} ({code}).")

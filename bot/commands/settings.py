"""``/settings`` and ``/language``: a chat's own settings (time zone, language)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.commands.base import Invocation, card
from bot.commands.digests import DigestCommands
from bot.core.cards import Card
from bot.core.domain import ChatSettings
from bot.core.errors import CommandError
from bot.core.locales import CATALOG_LANGUAGES, choose_language, language_name, parse_language
from bot.core.words import N_, _, isolate, n_, speaking
from bot.text.sentences import shorten

SETTINGS_HINT = N_("e.g. /settings timezone Europe/Berlin (IANA names; the default is UTC).")
LANGUAGE_HINT = N_("e.g. /language de, /language pt-BR; /language default follows the platform.")


def check_timezone(name: str) -> str:
    """The IANA zone's canonical spelling; ``CommandError`` when there is no such zone."""
    wanted = name.strip()
    by_fold = {zone.casefold(): zone for zone in available_timezones()}
    found = by_fold.get(wanted.casefold())
    if found is None or wanted.casefold() in ("localtime", "factory"):
        raise CommandError(
            _(
                "I don't know the time zone %(zone)s. Use an IANA name such as "
                "Europe/Berlin, America/New_York or UTC.",
                zone=repr(shorten(wanted, 40)),
            )
        )
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise CommandError(_("The time zone %(zone)s cannot be used here.", zone=found)) from err
    return found


class SettingsCommands(DigestCommands):
    async def settings(self, inv: Invocation, args: str) -> Card:
        name, _sep, value = args.strip().partition(" ")
        if not name:
            current = await self.storage.chat_settings(inv.destination)
            shown = self.chat_language(current)
            return card(
                _(
                    "This chat's time zone: %(zone)s. Change it: %(hint)s",
                    zone=isolate(current.timezone),
                    hint=_(SETTINGS_HINT),
                ),
                _(
                    "This chat's language: %(name)s (%(code)s). Change it: %(hint)s",
                    name=language_name(shown),
                    code=isolate(shown),
                    hint=_(LANGUAGE_HINT),
                ),
            )
        if name.lower() not in ("timezone", "tz", "time-zone"):
            raise CommandError(
                _(
                    "I have no setting %(name)s. %(hint)s",
                    name=repr(shorten(name, 30)),
                    hint=_(SETTINGS_HINT),
                )
            )
        if not value.strip():
            raise CommandError(_("Which time zone? %(hint)s", hint=_(SETTINGS_HINT)))
        self._require_manage(inv)
        zone = check_timezone(value)
        await self.storage.set_timezone(inv.destination, zone)
        moved = await self.reschedule_digests(inv.destination, zone)
        if moved:
            return card(
                n_(
                    "This chat's time zone is now %(zone)s: digests and /catchup use it "
                    "(%(count)s digest rescheduled).",
                    "This chat's time zone is now %(zone)s: digests and /catchup use it "
                    "(%(count)s digests rescheduled).",
                    moved,
                    zone=isolate(zone),
                )
            )
        return card(
            _(
                "This chat's time zone is now %(zone)s: digests and /catchup use it.",
                zone=isolate(zone),
            )
        )

    def chat_language(self, settings: ChatSettings) -> str:
        return choose_language(settings.language, settings.language_hint, self.default_language)

    async def language(self, inv: Invocation, args: str) -> Card:
        """Show or set the language the chat's posts and the bot's words are in."""
        wanted = args.strip()
        if not wanted:
            current = await self.storage.chat_settings(inv.destination)
            shown = self.chat_language(current)
            if current.language:
                how = _(
                    "This chat's language: %(name)s (%(code)s), chosen here.",
                    name=language_name(shown),
                    code=isolate(shown),
                )
            else:
                how = _(
                    "This chat's language: %(name)s (%(code)s), the platform's or the bot's "
                    "default.",
                    name=language_name(shown),
                    code=isolate(shown),
                )
            return card(
                how,
                _("Change it: %(hint)s", hint=_(LANGUAGE_HINT)),
                _(
                    "My own words are in: %(languages)s; summaries are translated into any "
                    "language.",
                    languages=", ".join(
                        f"{language_name(c)} ({isolate(c)})" for c in CATALOG_LANGUAGES
                    ),
                ),
            )
        self._require_manage(inv)
        if wanted.lower() in ("default", "auto", "reset"):
            await self.storage.set_language(inv.destination, None)
            self.forget_language(inv.destination)
            current = await self.storage.chat_settings(inv.destination)
            shown = choose_language(
                current.language, inv.language_hint or current.language_hint, self.default_language
            )
            # The answer is already in the language the chat now follows.
            with speaking(self.words.words(shown)):
                return card(
                    _(
                        "This chat now follows the default: %(name)s (%(code)s).",
                        name=language_name(shown),
                        code=isolate(shown),
                    )
                )
        code = parse_language(wanted)
        if code is None:
            raise CommandError(
                _(
                    "I don't know the language %(code)s. %(hint)s",
                    code=repr(shorten(wanted, 35)),
                    hint=_(LANGUAGE_HINT),
                )
            )
        await self.storage.set_language(inv.destination, code)
        self.forget_language(inv.destination)
        with speaking(self.words.words(code)):
            return card(
                _(
                    "This chat's language is now %(name)s (%(code)s).",
                    name=language_name(code),
                    code=isolate(code),
                )
            )

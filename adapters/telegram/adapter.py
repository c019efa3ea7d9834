"""The Telegram adapter: a python-telegram-bot ``Application`` inside newsbot's event loop.

Long polling by default; in webhook mode our own aiohttp route receives the updates
(checking Telegram's secret-token header) and feeds them to the application's queue.
PTB is built without a rate limiter on purpose: a 429 must reach the delivery stage,
which owns retries, instead of being retried silently here.
"""

from __future__ import annotations

import datetime as dtm
import hmac
import json
import logging

from aiohttp import web
from telegram import BotCommand, Update
from telegram import error as tg
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from adapters.telegram.config import TelegramConfig
from adapters.telegram.handlers import Handlers
from adapters.telegram.messenger import TelegramMessenger
from bot.commands.router import COMMANDS, Commands
from bot.core.errors import ConfigError
from bot.core.locales import base_language
from bot.core.words import N_, Words, _, speaking

log = logging.getLogger("newsbot.telegram")

ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "my_chat_member")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_HANDLER_ERRORS = 100
# Loggers that may print request URLs, which carry the token.
# (A filter on a logger does not apply to its children, hence the full names.)
REDACTED_LOGGERS = (
    "httpx",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.ext.Application",
)
SORRY = N_("Something went wrong on my side; please try again in a minute.")


def file_url(base_url: str) -> str:
    """The file endpoint next to ``base_url`` (``.../bot`` → ``.../file/bot``)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return "https://api.telegram.org/file/bot"


class RedactToken(logging.Filter):
    """Hides the token in the request URLs that httpx logs (``.../bot<token>/getMe``)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


class TelegramAdapter:
    """Owns the bot's connection to Telegram; ``messenger`` is what the delivery stage uses."""

    def __init__(
        self,
        config: TelegramConfig,
        *,
        token: str,
        commands: Commands,
        webhook_secret: str | None = None,
        concurrent_updates: int = 4,
    ) -> None:
        config.validate(token=token, webhook_secret=webhook_secret)
        self._redact = RedactToken(token)
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).addFilter(self._redact)
        self.config = config
        self._secret = webhook_secret or ""
        # Our own request objects, so a start that fails half-way can still close them.
        self._requests = (
            HTTPXRequest(
                connection_pool_size=64,
                connect_timeout=config.connect_timeout_s,
                read_timeout=config.read_timeout_s,
                write_timeout=config.read_timeout_s,
            ),
            HTTPXRequest(
                connection_pool_size=1,
                connect_timeout=config.connect_timeout_s,
                read_timeout=config.poll_timeout_s + config.read_timeout_s,
            ),
        )
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(config.base_url)
            .base_file_url(file_url(config.base_url))
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .concurrent_updates(concurrent_updates)
        )
        if config.mode == "webhook":
            builder = builder.updater(None)
        self.app: Application = builder.build()  # type: ignore[type-arg]
        self.messenger = TelegramMessenger(
            self.app.bot,
            max_inline_wait_s=config.max_inline_wait_s,
            on_migrate=commands.move_destination,
        )
        self.commands = commands
        self.handlers = Handlers(commands, self.messenger, max_wait_s=config.max_inline_wait_s)
        self.handlers.register(self.app)
        self.app.add_error_handler(self._on_error)
        # Errors raised by handlers, newest last, so tests and health checks can see them.
        self.handler_errors: list[BaseException] = []
        self._runner: web.AppRunner | None = None
        self._started = False

    async def start(self, *, receive_updates: bool = True) -> None:
        """Connect, register the commands and (unless told not to) start receiving updates.

        Several processes may send, but only one may long-poll (Telegram answers 409 to a
        second getUpdates): the others start with ``receive_updates=False`` and the one
        holding the polling lock calls ``start_receiving``."""
        try:
            await self.app.initialize()
        except tg.TelegramError as err:
            for request in self._requests:
                await request.shutdown()  # PTB only closes what initialised fully
            if isinstance(err, tg.InvalidToken):
                raise ConfigError(
                    "NEWSBOT_TELEGRAM_TOKEN was rejected by Telegram (getMe failed)."
                ) from err
            raise ConfigError(
                f"telegram.base_url {self.config.base_url!r} could not be reached: {err.message}"
            ) from err
        bot = self.app.bot
        log.info("event=telegram.connected bot=%s id=%s mode=%s", bot.username, bot.id,
                 self.config.mode)  # fmt: skip
        try:
            await self._set_commands()
            await self.app.start()
            self._started = True
            if self.config.mode == "webhook":
                await self._start_webhook()
            elif receive_updates:
                await self._start_polling()
        except BaseException:
            await self.stop()  # the caller never sees a half-started adapter
            raise

    async def _start_polling(self) -> None:
        updater = self.app.updater
        if updater is None:  # pragma: no cover - built with an updater in polling mode
            raise ConfigError("telegram.mode is polling but no updater was built.")
        await updater.start_polling(
            timeout=dtm.timedelta(seconds=self.config.poll_timeout_s),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=self.config.drop_pending_updates,
            error_callback=self._on_poll_error,
        )

    async def start_receiving(self) -> None:
        """Begin long polling (this process now holds the polling lock)."""
        if self.config.mode == "polling" and not (self.app.updater and self.app.updater.running):
            await self._start_polling()

    async def stop_receiving(self) -> None:
        """Stop long polling but keep sending (the polling lock was lost)."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()

    def receiving(self) -> bool:
        return bool(self.app.updater and self.app.updater.running)

    def connected(self) -> bool:
        """For /readyz: the application is running (polling or serving its webhook)."""
        return bool(self.app.running)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self._started:
            await self.app.stop()
            self._started = False
        await self.app.shutdown()
        log.info("event=telegram.stopped")
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).removeFilter(self._redact)

    async def _set_commands(self) -> None:
        """The command menu in every catalog language: Telegram shows a person the list
        for their app's language (``language_code``), else the default one, which is in
        the bot's default language."""
        book, default = self.commands.words, self.commands.default_language
        await self._set_command_list(book.words(default), None)
        for language in book.languages:
            if base_language(language) != base_language(default):
                # Telegram takes a two-letter ISO 639-1 code here, not a full tag.
                await self._set_command_list(book.words(language), base_language(language))

    async def _set_command_list(self, words: Words, code: str | None) -> None:
        commands = [
            BotCommand(info.name, words.gettext(info.description)[:256]) for info in COMMANDS
        ]
        try:
            await self.app.bot.set_my_commands(commands, language_code=code)
        except tg.TelegramError as err:
            # The bot works without the menu; say so instead of refusing to start.
            log.warning("event=telegram.commands_not_set language=%s reason=%r", code, err.message)

    # ------------------------------------------------------------ webhook

    async def _start_webhook(self) -> None:
        cfg = self.config
        web_app = web.Application(client_max_size=cfg.webhook_max_body_bytes)
        web_app.router.add_post(cfg.webhook_path, self._on_webhook)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.webhook_listen, cfg.webhook_port)
        try:
            await site.start()
        except OSError as err:
            raise ConfigError(
                f"telegram.webhook_port {cfg.webhook_port} on {cfg.webhook_listen} "
                f"cannot be opened: {err.strerror}"
            ) from err
        try:
            await self.app.bot.set_webhook(
                url=cfg.webhook_url,
                secret_token=self._secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=cfg.drop_pending_updates,
            )
        except tg.TelegramError as err:
            raise ConfigError(
                f"telegram.webhook_url was refused by Telegram: {err.message}"
            ) from err
        log.info(
            "event=telegram.webhook_listening listen=%s port=%d path=%s",
            cfg.webhook_listen, cfg.webhook_port, cfg.webhook_path,
        )  # fmt: skip

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("event=telegram.webhook_refused remote=%s", request.remote)
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update object")
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            log.warning("event=telegram.webhook_bad_body reason=%r", str(err)[:200])
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

    # ------------------------------------------------------------ errors

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        if err is None:
            return
        log.error("event=telegram.handler_error error=%s", type(err).__name__, exc_info=err)
        self.handler_errors.append(err)
        del self.handler_errors[:-MAX_HANDLER_ERRORS]
        if isinstance(update, Update) and update.effective_message is not None:
            message = update.effective_message
            try:
                with speaking(await self.handlers.answers.words_of(message)):
                    sorry = _(SORRY)
            except Exception as words_err:
                log.warning("event=telegram.sorry_language_unknown reason=%r", words_err)
                with speaking(self.commands.words.words(self.commands.default_language)):
                    sorry = _(SORRY)
            try:
                await message.reply_text(sorry, do_quote=True)
            except tg.TelegramError as reply_err:
                log.warning("event=telegram.sorry_failed reason=%r", reply_err.message)

    def _on_poll_error(self, err: tg.TelegramError) -> None:
        log.warning("event=telegram.poll_error error=%s reason=%r", type(err).__name__, err.message)

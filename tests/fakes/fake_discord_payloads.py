"""Discord's wire format as the fake Discord speaks it: the bot's ids, token and permission
bits, the JSON response helpers every route answers with, the ``Interaction`` record a test
waits on, the bot user object, and the size limits Discord checks a message against.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 900_000_000_000_000_001
APP_ID = 900_000_000_000_000_002
TOKEN = "fake-bot-token"
MANAGE_CHANNELS = 1 << 4
ALL_PERMISSIONS = (1 << 41) - 1
MEMBER_PERMISSIONS = ALL_PERMISSIONS & ~MANAGE_CHANNELS & ~(1 << 3) & ~(1 << 5) & ~(1 << 28)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py only parses JSON when Content-Type is exactly "application/json".
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


async def read_json(request: web.Request) -> Any:
    """The JSON body; a multipart body (a message with files) gives its ``payload_json``
    with the files under ``"_files"`` as (filename, bytes)."""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        body: Any = json.loads(str(form.get("payload_json") or "{}"))
        body["_files"] = [
            (value.filename, value.file.read())
            for key, value in form.items()
            if key.startswith("files[") and not isinstance(value, str | bytes)
        ]
        return body
    raw = await request.read()  # aiohttp caches the body, so every handler can read it
    return json.loads(raw) if raw else None


def error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return json_response({"code": code, "message": message, **extra}, status=status)


@dataclass
class Interaction:
    id: int
    token: str
    payload: dict[str, Any]
    created: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def response(self) -> dict[str, Any]:
        """The message the user saw: the callback's, or the first follow-up after a defer."""
        for cb in self.callbacks:
            if cb["type"] == 4:
                return dict(cb.get("data") or {})
        return self.followups[0] if self.followups else {}

    @property
    def ephemeral(self) -> bool:
        flags = self.response.get("flags") or 0
        for cb in self.callbacks:
            flags |= (cb.get("data") or {}).get("flags") or 0
        return bool(flags & 64)


def bot_user() -> dict[str, Any]:
    return {
        "id": str(BOT_ID),
        "username": "newsbot",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": True,
        "flags": 0,
    }


# The locales Discord accepts in ``name_localizations`` / ``description_localizations``.
DISCORD_LOCALES = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    }
)


def validate_commands(commands: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Discord's rules for a bulk overwrite of application commands: descriptions of 1 to
    100 characters in every locale, localisations only for Discord's own locale names."""
    problems: dict[str, Any] = {}

    def check(where: str, item: dict[str, Any]) -> None:
        if item.get("type", 1) == 1 and not 1 <= len(item.get("description", "")) <= 100:
            problems[f"{where}.description"] = "Must be between 1 and 100 in length."
        for key in ("name_localizations", "description_localizations"):
            for locale, text in (item.get(key) or {}).items():
                if locale not in DISCORD_LOCALES:
                    problems[f"{where}.{key}.{locale}"] = "Invalid locale"
                elif not isinstance(text, str) or not 1 <= len(text) <= 100:
                    problems[f"{where}.{key}.{locale}"] = "Must be between 1 and 100 in length."
        for n, option in enumerate(item.get("options") or ()):
            check(f"{where}.options.{n}", option)

    for n, command in enumerate(commands):
        check(str(n), command)
    return problems or None


def validate_message(body: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's size limits; the errors of a 400/50035 or None."""
    problems: dict[str, Any] = {}
    if len(body.get("content") or "") > 2000:
        problems["content"] = "Must be 2000 or fewer in length."
    embeds = body.get("embeds") or []
    total = 0
    for e in embeds:
        sizes = {"title": 256, "description": 4096}
        for key, limit in sizes.items():
            if len(e.get(key) or "") > limit:
                problems[f"embed.{key}"] = f"Must be {limit} or fewer in length."
        fields = e.get("fields") or []
        if len(fields) > 25:
            problems["embed.fields"] = "Must be 25 or fewer in length."
        for f in fields:
            if not f.get("name") or not f.get("value"):
                problems["embed.fields.value"] = "This field is required"
            if len(f["name"]) > 256 or len(f["value"]) > 1024:
                problems["embed.fields.size"] = "Too long."
        footer = (e.get("footer") or {}).get("text") or ""
        if len(footer) > 2048:
            problems["embed.footer"] = "Must be 2048 or fewer in length."
        total += len(e.get("title") or "") + len(e.get("description") or "") + len(footer)
        total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
    if total > 6000:
        problems["embeds"] = "Embed size exceeds maximum size of 6000"
    rows = body.get("components") or []
    if len(rows) > 5:
        problems["components"] = "Must be 5 or fewer in length."
    for row in rows:
        for comp in row.get("components", []):
            if len(comp.get("custom_id", "")) > 100 or len(comp.get("label", "")) > 80:
                problems["components.size"] = "Too long."
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > 25:
        problems["nonce"] = "Must be 25 or fewer in length."
    if not (body.get("content") or embeds or rows):
        problems["message"] = "Cannot send an empty message"
    return problems or None

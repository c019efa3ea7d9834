"""How the fake Telegram reads what the bot sends and refuses what Telegram refuses: Bot API
parameters (query string, form fields with JSON inside, or a JSON body), Telegram's strict HTML
turned into text and entities, text length in UTF-16 units, inline keyboards, and ``ApiError``,
the refusal every check raises and the server answers with.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from typing import Any

from aiohttp import web

Json = dict[str, Any]
ALLOWED_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_TOKEN = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[<>&]"
)
_HREF = re.compile(r"""^\s+href\s*=\s*(?:"([^"]*)"|'([^']*)')\s*$""")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str, allowed: dict[str, str] | None = None) -> tuple[str, list[Json]]:
    """Telegram's HTML: visible text and entities, or ApiError for what Telegram refuses."""
    tags = ALLOWED_TAGS if allowed is None else allowed
    out: list[str] = []
    entities: list[Json] = []
    stack: list[tuple[str, int, Json]] = []
    pos = 0
    for match in _TOKEN.finditer(source):
        out.append(source[pos : match.start()])
        pos = match.end()
        offset = utf16("".join(out))
        closing, name, attrs, entity = match.groups()
        if name is None and entity is None:
            raise _parse_error(f"Unexpected {match.group()!r} at byte offset {match.start()}")
        if entity is not None:
            if not entity.startswith("#") and entity not in {"lt", "gt", "amp", "quot"}:
                raise _parse_error(f"Unsupported HTML entity &{entity};")
            out.append(html.unescape(match.group()))
            continue
        tag = name.lower()
        if tag not in tags:
            raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {match.start()}')
        if closing:
            if not stack or stack[-1][0] != tag:
                raise _parse_error(f"Unmatched end tag at byte offset {match.start()}")
            _, start, ent = stack.pop()
            if offset > start:
                entities.append({**ent, "offset": start, "length": offset - start})
            continue
        ent = {"type": tags[tag]}
        if tag == "a":
            href = _HREF.match(attrs)
            if not href:
                raise _parse_error("Can't find href attribute of a tag")
            ent["url"] = html.unescape(href.group(1) or href.group(2) or "")
        elif attrs.strip() and tag not in {"span", "pre", "code", "blockquote"}:
            raise _parse_error(f'Unexpected attribute in tag "{tag}"')
        stack.append((tag, offset, ent))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    out.append(source[pos:])
    return "".join(out), sorted(entities, key=lambda e: e["offset"])


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def keyboard(raw: Any) -> Json | None:
    if raw is None:
        return None
    markup = json.loads(raw) if isinstance(raw, str) else raw
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup  # type: ignore[no-any-return]


async def read_params(request: web.Request) -> Json:
    """Telegram's parameter rules: query string, form fields (JSON inside) or a JSON body."""
    params: Json = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.can_read_body:
        for key, value in (await request.post()).items():
            raw = isinstance(value, str) and key not in _RAW_FIELDS
            params[key] = _decode(value) if raw and isinstance(value, str) else value
    return params


_RAW_FIELDS = {"text", "data", "url", "secret_token", "callback_query_id", "chat_id"}


def _decode(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if value[:1] in "[{":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value

"""The fake Discord's interactions: a person running a slash command, typing into an
autocomplete option or clicking a button (sent to the bot over the gateway), and the routes
the bot answers on: the callback, with Discord's 3-second deadline and single acknowledgement,
and the follow-up and edit-original webhooks after a defer.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.fakes.fake_discord_gateway import DiscordGateway
from tests.fakes.fake_discord_payloads import (
    ALL_PERMISSIONS,
    APP_ID,
    MEMBER_PERMISSIONS,
    Interaction,
    error,
    json_response,
    now_iso,
    read_json,
)


class DiscordInteractions(DiscordGateway):
    """The gateway fake plus the interactions a test triggers and the bot answers."""

    async def _callback(self, request: web.Request) -> web.Response:
        inter = self.interactions.get(int(request.match_info["id"]))
        if inter is None or inter.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        if inter.callbacks:
            return error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter.created > self.interaction_deadline_s:
            return error(404, 10062, "Unknown interaction")
        body = await read_json(request)
        data = body.get("data") or {}
        if body["type"] == 4:
            invalid = self.validate(data)
            if invalid is not None:
                return error(400, 50035, "Invalid Form Body", errors=invalid)
        inter.callbacks.append(body)
        if body["type"] != 5:
            inter.answered.set()
        result: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.payload["type"],
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        }
        if body["type"] == 4:
            msg = self._message(int(inter.payload["channel_id"]), data)
            result["interaction"]["response_message_id"] = msg["id"]
            result["resource"] = {"type": 4, "message": msg}
        return json_response(result)

    async def _followup(self, request: web.Request) -> web.Response:
        inter = next(
            (i for i in self.interactions.values() if i.token == request.match_info["token"]), None
        )
        if inter is None or not inter.callbacks:
            return error(404, 10015, "Unknown Webhook")
        body = await read_json(request)
        invalid = self.validate(body)
        if invalid is not None:
            return error(400, 50035, "Invalid Form Body", errors=invalid)
        msg = self._message(int(inter.payload["channel_id"]), body)
        inter.followups.append(msg)
        inter.answered.set()
        return json_response(msg)

    async def _edit_original(self, request: web.Request) -> web.Response:
        return await self._followup(request)

    def _interaction(
        self,
        kind: int,
        channel_id: int,
        data: dict[str, Any],
        *,
        user_id: int,
        permissions: int,
        message: dict[str, Any] | None,
    ) -> Interaction:
        channel = self.channels[channel_id]
        guild_id = channel.get("guild_id")
        iid = next(self.ids)
        user = {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "token": f"tok{iid}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": str(ALL_PERMISSIONS),
            "attachment_size_limit": 8388608,
        }
        if guild_id is not None:
            payload.update(
                guild_id=guild_id,
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": guild_id},
                member={
                    "user": user,
                    "roles": [],
                    "joined_at": now_iso(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(permissions),
                },
            )
        else:
            payload.update(user=user, context=1, authorizing_integration_owners={"0": str(user_id)})
        if message is not None:
            payload["message"] = message
        inter = Interaction(iid, payload["token"], payload, time.monotonic())
        self.interactions[iid] = inter
        return inter

    async def slash(
        self,
        channel_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int = 555,
        can_manage: bool = True,
        bot_permissions: int | None = None,
    ) -> Interaction:
        """A person runs ``/name`` with ``options``; returns the interaction to wait on.
        A role option's value is a role id from ``add_role`` (sent with its resolved
        role, as Discord does); ``bot_permissions`` are the bot's in the channel."""
        cmd = self._command(name)
        types = {o["name"]: o["type"] for o in cmd.get("options", [])}
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": name,
            "type": 1,
            "options": [
                {"name": k, "type": types[k], "value": str(v) if types[k] in (8, 11) else v}
                for k, v in (options or {}).items()
            ],
        }
        files = {
            str(v): {k2: v2 for k2, v2 in self.uploads[int(v)].items() if k2 != "_data"}
            for k, v in (options or {}).items()
            if types[k] == 11
        }
        roles = {
            str(v): {k2: v2 for k2, v2 in self.roles[int(v)].items() if k2 != "guild_id"}
            for k, v in (options or {}).items()
            if types[k] == 8
        }
        if roles or files:
            data["resolved"] = {"roles": roles, "attachments": files}
        inter = self._interaction(
            2,
            channel_id,
            data,
            user_id=user_id,
            permissions=ALL_PERMISSIONS if can_manage else MEMBER_PERMISSIONS,
            message=None,
        )
        if bot_permissions is not None:
            inter.payload["app_permissions"] = str(bot_permissions)
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    async def autocomplete(
        self,
        channel_id: int,
        name: str,
        focused: str,
        current: str,
        others: dict[str, Any] | None = None,
    ) -> Interaction:
        cmd = self._command(name)
        types = {o["name"]: o["type"] for o in cmd.get("options", [])}
        opts = [{"name": k, "type": types[k], "value": v} for k, v in (others or {}).items()]
        opts.append({"name": focused, "type": types[focused], "value": current, "focused": True})
        data = {"id": cmd["id"], "name": name, "type": 1, "options": opts}
        inter = self._interaction(
            4, channel_id, data, user_id=555, permissions=ALL_PERMISSIONS, message=None
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    async def click(
        self, message: dict[str, Any], custom_id: str, *, user_id: int = 556
    ) -> Interaction:
        data = {"custom_id": custom_id, "component_type": 2}
        inter = self._interaction(
            3,
            int(message["channel_id"]),
            data,
            user_id=user_id,
            permissions=MEMBER_PERMISSIONS,
            message=message,
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter

    def _command(self, name: str) -> dict[str, Any]:
        for scope in self.commands.values():
            for cmd in scope:
                if cmd["name"] == name:
                    return cmd
        raise KeyError(f"command /{name} was not synced")

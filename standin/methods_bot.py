"""Bot API methods about the bot itself: identity, updates, webhook and command menus."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from standin.errors import bad_request, conflict
from standin.model import JsonDict
from standin.schema import Params
from standin.state import DEFAULT_UPDATE_TYPES, WorldState

MAX_UPDATES = 100
MAX_COMMANDS = 100
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES_WITH_CHAT = ("chat", "chat_administrators", "chat_member")
_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")


def get_me(state: WorldState, params: Params) -> JsonDict:
    """getMe: the bot's own User with its capability flags."""
    return {
        **state.bot.to_dict(),
        "can_join_groups": True,
        "can_read_all_group_messages": not state.privacy_mode_default,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def log_out(state: WorldState, params: Params) -> bool:
    """logOut / close: accepted and otherwise without effect here."""
    return True


async def get_updates(state: WorldState, params: Params) -> list[JsonDict]:
    """getUpdates: confirm by ``offset``, long-poll up to ``timeout`` seconds when empty."""
    if state.webhook["url"]:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    state.interrupt_poll()
    if "allowed_updates" in params:
        state.allowed_updates = _allowed(params["allowed_updates"])
    offset = params.get("offset")
    if offset is not None and offset < 0:
        del state.updates[: max(0, len(state.updates) + offset)]
    elif offset is not None:
        state.updates[:] = [u for u in state.updates if u["update_id"] >= offset]
    limit = min(max(params.get("limit", MAX_UPDATES), 1), MAX_UPDATES)
    timeout = max(params.get("timeout", 0.0), 0.0)
    if not state.updates and timeout > 0:
        await state.wait_for_update(timeout)
    return copy.deepcopy(state.updates[:limit])


def _allowed(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request("can't parse allowed updates JSON object")
    return frozenset(value) if value else DEFAULT_UPDATE_TYPES


def set_webhook(state: WorldState, params: Params) -> bool:
    """setWebhook: remembered (never called back); an empty url removes it."""
    url = params["url"]
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if "allowed_updates" in params:
        state.allowed_updates = _allowed(params["allowed_updates"])
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.webhook = {"url": url}
    for key in ("max_connections", "ip_address"):
        if key in params:
            state.webhook[key] = params[key]
    return True


def delete_webhook(state: WorldState, params: Params) -> bool:
    """deleteWebhook: switch back to getUpdates, optionally dropping queued updates."""
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.webhook = {"url": ""}
    return True


def get_webhook_info(state: WorldState, params: Params) -> JsonDict:
    """getWebhookInfo: the current webhook and how many updates are waiting."""
    info: JsonDict = {
        **state.webhook,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if state.allowed_updates != DEFAULT_UPDATE_TYPES:
        info["allowed_updates"] = sorted(state.allowed_updates)
    return info


def _commands_key(state: WorldState, params: Params) -> tuple[str, str]:
    scope = params.get("scope", {"type": "default"})
    if not isinstance(scope, dict) or scope.get("type") not in (*_SCOPES, *_SCOPES_WITH_CHAT):
        raise bad_request("can't parse BotCommandScope JSON object")
    if scope["type"] in _SCOPES_WITH_CHAT:
        if "chat_id" not in scope:
            raise bad_request("chat_id is empty")
        state.find_chat(scope["chat_id"])
    if scope["type"] == "chat_member" and not isinstance(scope.get("user_id"), int):
        raise bad_request("user_id is empty")
    language = params.get("language_code", "")
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


def set_my_commands(state: WorldState, params: Params) -> bool:
    """setMyCommands: store the command menu for a scope and language."""
    commands = params["commands"]
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
            str(command.get("command", ""))
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _commands_key(state, params)
    state.commands[key] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


def delete_my_commands(state: WorldState, params: Params) -> bool:
    """deleteMyCommands: forget the menu for a scope and language."""
    state.commands.pop(_commands_key(state, params), None)
    return True


def get_my_commands(state: WorldState, params: Params) -> list[JsonDict]:
    """getMyCommands: the menu stored for exactly this scope and language."""
    return copy.deepcopy(state.commands.get(_commands_key(state, params), []))

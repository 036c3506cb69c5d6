"""The built-in table of supported methods, parameter normalisation and validation.

Requests reach the world in two shapes: from the HTTP front every value is a string (numbers,
booleans and nested objects JSON-encoded, as PTB's ``json_parameters`` sends them), from the
in-process adapter the values are already Python objects.  ``normalize`` turns both into the
same typed dictionary and refuses anything Telegram would refuse (and, stricter than Telegram,
parameter names the method does not have).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from standin.errors import bad_request
from standin.model import Upload

Params = dict[str, Any]

# Kinds: int, float, bool, str, chat_id (Integer or String), json (object/array), file
# (InputFile or String).  A trailing "!" marks a required field.
_SEND = {
    "business_connection_id": "str",
    "chat_id": "chat_id!",
    "message_thread_id": "int",
    "direct_messages_topic_id": "int",
    "disable_notification": "bool",
    "protect_content": "bool",
    "allow_paid_broadcast": "bool",
    "message_effect_id": "str",
    "suggested_post_parameters": "json",
    "reply_parameters": "json",
    "reply_markup": "json",
}
_EDIT = {
    "business_connection_id": "str",
    "chat_id": "chat_id",
    "message_id": "int",
    "inline_message_id": "str",
    "reply_markup": "json",
}
_POSITION = {"latitude": "float!", "longitude": "float!"}
_COMMANDS_TARGET = {"scope": "json", "language_code": "str"}

METHODS: dict[str, dict[str, str]] = {
    "getMe": {},
    "logOut": {},
    "close": {},
    "getUpdates": {"offset": "int", "limit": "int", "timeout": "float", "allowed_updates": "json"},
    "setWebhook": {
        "url": "str!",
        "certificate": "file",
        "ip_address": "str",
        "max_connections": "int",
        "allowed_updates": "json",
        "drop_pending_updates": "bool",
        "secret_token": "str",
    },
    "deleteWebhook": {"drop_pending_updates": "bool"},
    "getWebhookInfo": {},
    "setMyCommands": {"commands": "json!", **_COMMANDS_TARGET},
    "deleteMyCommands": dict(_COMMANDS_TARGET),
    "getMyCommands": dict(_COMMANDS_TARGET),
    "sendMessage": {
        **_SEND,
        "text": "str!",
        "parse_mode": "str",
        "entities": "json",
        "link_preview_options": "json",
    },
    "sendLocation": {
        **_SEND,
        **_POSITION,
        "horizontal_accuracy": "float",
        "live_period": "int",
        "heading": "int",
        "proximity_alert_radius": "int",
    },
    "sendVenue": {
        **_SEND,
        **_POSITION,
        "title": "str!",
        "address": "str!",
        "foursquare_id": "str",
        "foursquare_type": "str",
        "google_place_id": "str",
        "google_place_type": "str",
    },
    "sendPhoto": {
        **_SEND,
        "photo": "file!",
        "caption": "str",
        "parse_mode": "str",
        "caption_entities": "json",
        "show_caption_above_media": "bool",
        "has_spoiler": "bool",
    },
    "sendDocument": {
        **_SEND,
        "document": "file!",
        "thumbnail": "file",
        "caption": "str",
        "parse_mode": "str",
        "caption_entities": "json",
        "disable_content_type_detection": "bool",
    },
    "editMessageText": {
        **_EDIT,
        "text": "str!",
        "parse_mode": "str",
        "entities": "json",
        "link_preview_options": "json",
    },
    "editMessageCaption": {
        **_EDIT,
        "caption": "str",
        "parse_mode": "str",
        "caption_entities": "json",
        "show_caption_above_media": "bool",
    },
    "editMessageReplyMarkup": dict(_EDIT),
    "deleteMessage": {"chat_id": "chat_id!", "message_id": "int!"},
    "answerCallbackQuery": {
        "callback_query_id": "str!",
        "text": "str",
        "show_alert": "bool",
        "url": "str",
        "cache_time": "int",
    },
    "getChat": {"chat_id": "chat_id!"},
    "getChatMember": {"chat_id": "chat_id!", "user_id": "int!"},
    "getChatAdministrators": {"chat_id": "chat_id!", "return_bots": "bool"},
    "leaveChat": {"chat_id": "chat_id!"},
    "pinChatMessage": {
        "business_connection_id": "str",
        "chat_id": "chat_id!",
        "message_id": "int!",
        "disable_notification": "bool",
    },
    "unpinChatMessage": {
        "business_connection_id": "str",
        "chat_id": "chat_id!",
        "message_id": "int",
    },
}

# PTB routes every send*/edit* call through one helper that adds the ``Defaults``-backed
# arguments whether or not the method has them (e.g. parse_mode on sendLocation,
# protect_content on editMessageText).  Telegram ignores such extras, so they are dropped
# and noted on the recorded call instead of being refused.
DEFAULTS_LEAKS = frozenset({"parse_mode", "disable_notification", "protect_content"})

_BY_LOWER = {name.lower(): name for name in METHODS}
_INT_RE = re.compile(r"-?\d+")
_MISSING_WORDING = {
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
}


def resolve_method(name: str) -> str | None:
    """Return the canonical method name (Telegram matches them case-insensitively)."""
    return _BY_LOWER.get(name.lower())


def normalize(method: str, raw: Mapping[str, Any]) -> tuple[Params, tuple[str, ...]]:
    """Convert ``raw`` to typed values for canonical ``method``.

    Returns the parameters and the names that were dropped as PTB ``Defaults`` leaks.
    Raises ApiError for unknown names, values of the wrong shape and missing required fields.
    """
    fields = METHODS[method]
    params: Params = {}
    ignored: list[str] = []
    for name, value in raw.items():
        if value is None:
            continue
        spec = fields.get(name)
        if spec is None:
            if name in DEFAULTS_LEAKS and method.startswith(("send", "edit")):
                ignored.append(name)
                continue
            raise bad_request(f'unknown parameter "{name}" for method {method}')
        params[name] = _convert(name, spec.rstrip("!"), value)
    for name, spec in fields.items():
        if spec.endswith("!") and name not in params:
            raise bad_request(missing_wording(name))
    return params, tuple(ignored)


def missing_wording(name: str) -> str:
    """How Telegram words the absence of required parameter ``name``."""
    return _MISSING_WORDING.get(name, f"{name} is empty")


def _convert(name: str, kind: str, value: Any) -> Any:
    converter = _CONVERTERS[kind]
    try:
        return converter(name, value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"can't parse {name}: expected {_KIND_NAMES[kind]}") from exc


def _to_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(name)


def _to_float(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(name)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise TypeError(name)


def _to_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(name)


def _to_str(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(name)


def _to_chat_id(name: str, value: Any) -> int | str:
    if isinstance(value, str):
        stripped = value.strip()
        if _INT_RE.fullmatch(stripped):
            return int(stripped)
        if stripped.startswith("@"):
            return stripped
        raise bad_request("chat not found")
    return _to_int(name, value)


def _to_json(name: str, value: Any) -> Any:
    if isinstance(value, dict | list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError as exc:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise bad_request(f"can't parse {what} JSON object") from exc
        if isinstance(decoded, dict | list):
            return decoded
    raise TypeError(name)


def _to_file(name: str, value: Any) -> Upload | str:
    if isinstance(value, Upload | str):
        return value
    if isinstance(value, bytes):
        return Upload(name, value)
    raise TypeError(name)


_CONVERTERS = {
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "str": _to_str,
    "chat_id": _to_chat_id,
    "json": _to_json,
    "file": _to_file,
}
_KIND_NAMES = {
    "int": "Integer",
    "float": "Float",
    "bool": "Boolean",
    "str": "String",
    "chat_id": "Integer or String",
    "json": "a JSON object or array",
    "file": "InputFile or String",
}

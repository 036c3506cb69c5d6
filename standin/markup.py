"""Shapes of reply markup and the other nested objects a send or edit may carry."""

from __future__ import annotations

from typing import Any

from standin.errors import bad_request

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "login_url",
    "web_app",
    "copy_text",
)
_INLINE_EXTRAS = frozenset({"text", "style", "icon_custom_emoji_id"})
_KEYBOARD_BUTTON_FIELDS = frozenset(
    {
        "text",
        "request_contact",
        "request_location",
        "request_poll",
        "request_users",
        "request_chat",
        "request_managed_bot",
        "web_app",
        "style",
        "icon_custom_emoji_id",
    }
)
_PRIVATE_ONLY_REQUESTS = ("request_location", "request_contact")
_KEYBOARD_OPTIONS = frozenset(
    {
        "keyboard",
        "resize_keyboard",
        "one_time_keyboard",
        "selective",
        "input_field_placeholder",
        "is_persistent",
    }
)
_REPLY_PARAMETER_FIELDS = frozenset(
    {
        "message_id",
        "chat_id",
        "allow_sending_without_reply",
        "quote",
        "quote_parse_mode",
        "quote_entities",
        "quote_position",
        "checklist_task_id",
        "poll_option_id",
    }
)
_MARKUP_KINDS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100


def check_reply_markup(markup: Any, *, private_chat: bool, inline_only: bool) -> dict[str, Any]:
    """Validate one of the four reply-markup objects and return it in stored form.

    ``inline_only`` is for edit methods, which accept nothing but an inline keyboard.
    Raises ApiError with Telegram-like wording on any malformed or forbidden shape.
    """
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    kinds = [kind for kind in _MARKUP_KINDS if kind in markup]
    if len(kinds) != 1:
        raise bad_request("can't parse reply keyboard markup JSON object")
    kind = kinds[0]
    if inline_only and kind != "inline_keyboard":
        raise bad_request("inline keyboard expected")
    if kind == "inline_keyboard":
        return {"inline_keyboard": _inline_rows(markup)}
    if kind == "keyboard":
        return _reply_keyboard(markup, private_chat=private_chat)
    if markup[kind] is not True:
        raise bad_request(f'can\'t parse reply keyboard markup: "{kind}" must be true')
    return dict(markup)


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" of the reply markup must be an Array of Arrays')
    return rows


def _inline_rows(markup: dict[str, Any]) -> list[list[dict[str, Any]]]:
    rows = _rows(markup, "inline_keyboard")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    return [[_inline_button(button) for button in row] for row in rows]


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be a String')
    unknown = sorted(set(button) - _INLINE_EXTRAS - set(INLINE_ACTIONS))
    if unknown:
        raise bad_request(f'can\'t parse inline keyboard button: unknown field "{unknown[0]}"')
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise bad_request(f'inline keyboard button URL "{url}" is invalid: Wrong HTTP URL')
    return dict(button)


def _reply_keyboard(markup: dict[str, Any], *, private_chat: bool) -> dict[str, Any]:
    unknown = sorted(set(markup) - _KEYBOARD_OPTIONS)
    if unknown:
        raise bad_request(f'can\'t parse reply keyboard markup: unknown field "{unknown[0]}"')
    keyboard: list[list[dict[str, Any]]] = []
    for row in _rows(markup, "keyboard"):
        keyboard.append([_keyboard_button(button, private_chat=private_chat) for button in row])
    return {**markup, "keyboard": keyboard}


def _keyboard_button(button: Any, *, private_chat: bool) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be a String')
    unknown = sorted(set(button) - _KEYBOARD_BUTTON_FIELDS)
    if unknown:
        raise bad_request(f'can\'t parse keyboard button: unknown field "{unknown[0]}"')
    for request in _PRIVATE_ONLY_REQUESTS:
        if button.get(request) and not private_chat:
            what = request.removeprefix("request_")
            raise bad_request(
                f"keyboard buttons requesting {what} are allowed only in private chats"
            )
    return dict(button)


def check_reply_parameters(value: Any) -> dict[str, Any]:
    """Validate a ``ReplyParameters`` object (the lookup of the target happens later)."""
    if not isinstance(value, dict) or not isinstance(value.get("message_id"), int):
        raise bad_request("can't parse reply parameters JSON object")
    unknown = sorted(set(value) - _REPLY_PARAMETER_FIELDS)
    if unknown:
        raise bad_request(f'can\'t parse reply parameters: unknown field "{unknown[0]}"')
    return value


def check_entities(value: Any, name: str) -> list[dict[str, Any]]:
    """Validate an explicit list of ``MessageEntity`` objects."""
    if not isinstance(value, list):
        raise bad_request(f"can't parse {name} JSON object")
    for entity in value:
        if not (
            isinstance(entity, dict)
            and isinstance(entity.get("type"), str)
            and isinstance(entity.get("offset"), int)
            and isinstance(entity.get("length"), int)
        ):
            raise bad_request(f"can't parse {name} JSON object")
    return value


def check_object(value: Any, name: str) -> dict[str, Any]:
    """Require ``value`` to be a JSON object (e.g. ``link_preview_options``)."""
    if not isinstance(value, dict):
        raise bad_request(f"can't parse {name} JSON object")
    return value

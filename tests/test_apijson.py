"""The api.json check refuses what Telegram would: nested types, JSON types, length limits.

A small synthetic spec is always checked; the real published file when it is present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from standin import DEFAULT_API_JSON, ApiError
from standin.apijson import ApiJsonSchema, load_api_json


def _field(name: str, *types: str, required: bool = False, note: str = "") -> dict[str, Any]:
    return {"name": name, "types": list(types), "required": required, "description": note}


SYNTHETIC = {
    "version": "Bot API 0.2",
    "methods": {
        "sendMessage": {
            "fields": [
                _field("chat_id", "Integer", "String", required=True),
                _field(
                    "text", "String", required=True, note="1-10 characters after entities parsing"
                ),
                _field("parse_mode", "String"),
                _field("reply_markup", "InlineKeyboardMarkup", "ForceReply"),
            ]
        },
        "answerCallbackQuery": {
            "fields": [
                _field("callback_query_id", "String", required=True),
                _field("text", "String", note="Text of the notification, 0-5 characters"),
                _field("cache_time", "Integer"),
            ]
        },
        "setMyCommands": {"fields": [_field("scope", "BotCommandScope")]},
    },
    "types": {
        "InlineKeyboardMarkup": {
            "fields": [
                _field("inline_keyboard", "Array of Array of InlineKeyboardButton", required=True)
            ]
        },
        "InlineKeyboardButton": {
            "description": ["Exactly one of the fields other than text must be used."],
            "fields": [
                _field("text", "String", required=True),
                _field("url", "String"),
                _field("callback_data", "String", note="Optional. Data, 1-4 bytes"),
            ],
        },
        "ForceReply": {"fields": [_field("force_reply", "True", required=True)]},
        "BotCommandScope": {"subtypes": ["BotCommandScopeDefault", "BotCommandScopeChat"]},
        "BotCommandScopeDefault": {
            "fields": [_field("type", "String", required=True, note="Scope type, must be default")]
        },
        "BotCommandScopeChat": {
            "fields": [
                _field("type", "String", required=True, note="Scope type, must be chat"),
                _field("chat_id", "Integer", "String", required=True),
            ]
        },
    },
}


@pytest.fixture(name="synthetic")
def fixture_synthetic(tmp_path: Path) -> ApiJsonSchema:
    path = tmp_path / "api.json"
    path.write_text(json.dumps(SYNTHETIC), encoding="utf-8")
    schema = load_api_json(path)
    assert schema is not None
    return schema


def _button(**fields: Any) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Claim", **fields}]]}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("sendMessage", {"chat_id": 1, "text": "<b>0123456789</b>", "parse_mode": "HTML"}),
        (
            "sendMessage",
            {"chat_id": "@grid", "text": "x", "reply_markup": _button(url="https://a")},
        ),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"force_reply": True}}),
        ("answerCallbackQuery", {"callback_query_id": "q", "text": "", "cache_time": 0}),
        ("setMyCommands", {"scope": {"type": "chat", "chat_id": -100}}),
        ("setMyCommands", {"scope": {"type": "default"}}),
    ],
)
def test_synthetic_spec_accepts_what_it_describes(
    synthetic: ApiJsonSchema, method: str, params: dict[str, Any]
) -> None:
    """Requests within the described types and limits pass."""
    assert synthetic.check(method, params) is None


@pytest.mark.parametrize(
    ("method", "params", "refusal"),
    [
        ("sendMessage", {"chat_id": 1.5, "text": "x"}, "chat_id"),
        ("answerCallbackQuery", {"callback_query_id": "q", "cache_time": "0"}, "Integer"),
        ("sendMessage", {"chat_id": 1, "text": "0123456789a"}, "message is too long"),
        ("sendMessage", {"chat_id": 1, "text": "<b>x</b>" * 6}, "message is too long"),
        ("sendMessage", {"chat_id": 1, "text": ""}, "message text is empty"),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": _button()}, "exactly one"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": _button(callback_data="12345")},
            "BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": _button(url=5)},
            "reply_markup",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [{"text": "a"}]}},
            "reply_markup",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"force_reply": False}},
            "reply_markup",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": _button(url="u", colour="red")},
            "reply_markup",
        ),
        ("answerCallbackQuery", {"callback_query_id": "q", "text": "123456"}, "0-5 characters"),
        ("answerCallbackQuery", {"callback_query_id": "q", "cache_time": True}, "Integer"),
        ("setMyCommands", {"scope": {"type": "chat"}}, "scope"),
        ("setMyCommands", {"scope": {"type": "everywhere"}}, "scope"),
    ],
)
def test_synthetic_spec_refuses_what_telegram_would(
    synthetic: ApiJsonSchema, method: str, params: dict[str, Any], refusal: str
) -> None:
    """Wrong JSON types, bad nested objects and lengths beyond the limit are refused."""
    with pytest.raises(ApiError, match=refusal) as refused:
        synthetic.check(method, params)
    assert 400 == refused.value.error_code


@pytest.fixture(name="published")
def fixture_published() -> ApiJsonSchema:
    schema = load_api_json(DEFAULT_API_JSON)
    if schema is None:
        pytest.skip(f"no published api.json at {DEFAULT_API_JSON}")
    return schema


CARD = {
    "chat_id": -1001000000101,
    "text": "🆕 <b>#1001</b> 占道经营",
    "parse_mode": "HTML",
    "reply_markup": {"inline_keyboard": [[{"text": "认领", "callback_data": "v1:claim:1001"}]]},
    "reply_parameters": {"message_id": 7, "allow_sending_without_reply": True},
    "link_preview_options": {"is_disabled": True},
}


def test_published_spec_accepts_the_cards_the_bot_sends(published: ApiJsonSchema) -> None:
    """A ticket card as the outbox sends it passes the published spec."""
    assert published.check("sendMessage", CARD) is None


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"text": "<b>" + "字" * 4097 + "</b>"}, "message is too long"),
        ({"reply_markup": _button(callback_data="v1:" + "x" * 62)}, "BUTTON_DATA_INVALID"),
        ({"reply_markup": _button()}, "exactly one"),
        (
            {"reply_markup": {"keyboard": [[{"text": "📍", "request_location": "yes"}]]}},
            "reply_markup",
        ),
        ({"reply_parameters": {"allow_sending_without_reply": True}}, "reply_parameters"),
        ({"link_preview_options": {"is_disabled": "yes"}}, "link_preview_options"),
        ({"message_thread_id": "7"}, "Integer"),
    ],
)
def test_published_spec_refuses_what_telegram_would(
    published: ApiJsonSchema, changes: dict[str, Any], refusal: str
) -> None:
    """Over-long text, 65-byte button data, buttons without an action, bad nested objects."""
    with pytest.raises(ApiError, match=refusal):
        published.check("sendMessage", {**CARD, **changes})


def test_published_spec_keeps_button_text_and_popups_short(published: ApiJsonSchema) -> None:
    """A popup longer than 200 characters is refused; 200 pass."""
    published.check("answerCallbackQuery", {"callback_query_id": "1", "text": "好" * 200})
    with pytest.raises(ApiError, match="0-200 characters"):
        published.check("answerCallbackQuery", {"callback_query_id": "1", "text": "好" * 201})

"""The outbox's way out: one outbox item becomes one Bot API call."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.delivery.outbox import Delivered, Delivery, OutboxItem, Rejected, RetryLater, TargetGone

NO_PREVIEW = {"is_disabled": True}
GONE = ("message to edit not found", "message_id_invalid", "message can't be edited")


def reply_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Bot API markup for a stored one (None removes an inline keyboard on edit)."""
    if not markup:
        return None
    if "inline" in markup:
        rows = [
            [
                {"text": b["text"], "url": b["url"]}
                if "url" in b
                else {"text": b["text"], "callback_data": b["data"]}
                for b in row
            ]
            for row in markup["inline"]
        ]
        return {"inline_keyboard": rows} if rows else None
    if "force_reply" in markup:
        placeholder = markup["force_reply"]["placeholder"]
        return {"force_reply": True, "selective": True, "input_field_placeholder": placeholder}
    if "ask_location" in markup:
        ask = markup["ask_location"]
        return {
            "keyboard": [[{"text": ask["text"], "request_location": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
            "input_field_placeholder": ask["placeholder"],
        }
    if markup.get("remove"):
        return {"remove_keyboard": True}
    raise ValueError(f"unknown markup {markup!r}")


class TelegramTransport:
    """Sends outbox items with a PTB bot and reports Telegram's answer as a Delivery.

    Texts, edits and map pins go out as plain Bot API parameters through the bot's own
    request path (so the rate limiter and PTB's error mapping still apply), and only the
    message id is read from the answer: building PTB's Message object for every answer cost
    more than the rest of sending it. Uploads keep PTB's typed methods.
    """

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(
        self, item: OutboxItem, reply_to_message_id: int | None, target_message_id: int | None
    ) -> Delivery:
        try:
            message_id = await self._call(item, reply_to_message_id, target_message_id)
        except RetryAfter as exc:
            return RetryLater("flood control", _seconds(exc))
        except BadRequest as exc:
            text = exc.message.lower()
            if "message is not modified" in text:
                return Delivered(target_message_id)
            if any(words in text for words in GONE):
                return TargetGone(exc.message)
            return Rejected(exc.message)
        except Forbidden as exc:
            return Rejected(exc.message)
        except NetworkError as exc:  # TimedOut is a NetworkError: the request may be retried
            return RetryLater(exc.message or type(exc).__name__)
        except TelegramError as exc:
            return Rejected(exc.message)
        return Delivered(target_message_id if message_id is None else message_id)

    async def _call(self, item: OutboxItem, reply_to: int | None, target: int | None) -> int | None:
        """Send ``item``; the id of the message it created, or None (an edit, a delete)."""
        payload = item.payload
        markup = reply_markup(payload.get("markup"))
        chat_id = item.chat_id
        match item.kind:
            case "photo":
                photo = await self.bot.send_photo(
                    chat_id,
                    payload.get("photo") or Path(payload["photo_path"]).read_bytes(),
                    caption=payload["caption"],
                    parse_mode=ParseMode.HTML,
                    reply_markup=_typed(markup),
                    reply_parameters=_reply(reply_to),
                )
                return photo.message_id
            case "document":
                document = await self.bot.send_document(
                    chat_id,
                    Path(payload["document_path"]).read_bytes(),
                    filename=payload["filename"],
                    caption=payload.get("caption"),
                    parse_mode=ParseMode.HTML,
                    reply_parameters=_reply(reply_to),
                )
                return document.message_id
        method, params = _plain_call(item, markup, reply_to, target)
        result = await self.bot._post(method, params)
        return int(result["message_id"]) if isinstance(result, dict) else None


def _plain_call(
    item: OutboxItem, markup: dict[str, Any] | None, reply_to: int | None, target: int | None
) -> tuple[str, dict[str, Any]]:
    """The Bot API method and parameters for an item that uploads nothing."""
    payload = item.payload
    params: dict[str, Any] = {"chat_id": item.chat_id}
    match item.kind:
        case "text":
            method = "sendMessage"
            params |= {"text": payload["text"], "link_preview_options": NO_PREVIEW}
        case "location":
            method = "sendLocation"
            params |= {"latitude": payload["latitude"], "longitude": payload["longitude"]}
        case "venue":
            method = "sendVenue"
            params |= {
                "latitude": payload["latitude"],
                "longitude": payload["longitude"],
                "title": payload["title"],
                "address": payload["address"] or "-",
            }
        case "edit_text":
            method = "editMessageText"
            params |= {
                "message_id": target,
                "text": payload["text"],
                "link_preview_options": NO_PREVIEW,
            }
        case "edit_caption":
            method = "editMessageCaption"
            params |= {"message_id": target, "caption": payload["text"]}
        case "delete":
            return "deleteMessage", params | {"message_id": target or 0}
        case _:
            raise ValueError(f"unknown outbox kind {item.kind!r}")
    if item.kind in ("text", "edit_text", "edit_caption"):
        params["parse_mode"] = ParseMode.HTML.value
    if markup is not None and item.kind not in ("location", "venue"):
        params["reply_markup"] = markup
    if reply_to and not item.kind.startswith("edit"):
        params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    return method, params


def _reply(reply_to: int | None) -> ReplyParameters | None:
    return ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None


def _typed(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    """PTB's object for an inline keyboard (the only markup a photo card carries)."""
    return InlineKeyboardMarkup.de_json(markup, None) if markup else None


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns while it moves retry_after from int to timedelta; either is fine here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

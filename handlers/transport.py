"""The outbox's way out: one outbox item becomes one Bot API call."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.outbox import Delivered, Delivery, Rejected, RetryLater, TargetGone
from storage.outbox import OutboxItem

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GONE = ("message to edit not found", "message_id_invalid", "message can't be edited")


def reply_markup(markup: dict[str, Any] | None) -> Any:
    """The Bot API markup for a stored one (None removes an inline keyboard on edit)."""
    if not markup:
        return None
    if "inline" in markup:
        rows = [
            [
                InlineKeyboardButton(b["text"], url=b["url"])
                if "url" in b
                else InlineKeyboardButton(b["text"], callback_data=b["data"])
                for b in row
            ]
            for row in markup["inline"]
        ]
        return InlineKeyboardMarkup(rows) if rows else None
    if "force_reply" in markup:
        return ForceReply(
            selective=True, input_field_placeholder=markup["force_reply"]["placeholder"]
        )
    if "ask_location" in markup:
        ask = markup["ask_location"]
        return ReplyKeyboardMarkup(
            [[KeyboardButton(ask["text"], request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=ask["placeholder"],
        )
    if markup.get("remove"):
        return ReplyKeyboardRemove()
    raise ValueError(f"unknown markup {markup!r}")


class TelegramTransport:
    """Sends outbox items with a PTB bot and reports Telegram's answer as a Delivery."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(
        self, item: OutboxItem, reply_to_message_id: int | None, target_message_id: int | None
    ) -> Delivery:
        try:
            result = await self._call(item, reply_to_message_id, target_message_id)
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
        if isinstance(result, Message):
            return Delivered(result.message_id)
        return Delivered(target_message_id)

    async def _call(
        self, item: OutboxItem, reply_to: int | None, target: int | None
    ) -> Message | bool:
        payload = item.payload
        markup = reply_markup(payload.get("markup"))
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        chat_id = item.chat_id
        match item.kind:
            case "text":
                return await self.bot.send_message(
                    chat_id,
                    payload["text"],
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=reply,
                    link_preview_options=NO_PREVIEW,
                )
            case "photo":
                return await self.bot.send_photo(
                    chat_id,
                    payload.get("photo") or Path(payload["photo_path"]).read_bytes(),
                    caption=payload["caption"],
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=reply,
                )
            case "document":
                return await self.bot.send_document(
                    chat_id,
                    Path(payload["document_path"]).read_bytes(),
                    filename=payload["filename"],
                    caption=payload.get("caption"),
                    parse_mode=ParseMode.HTML,
                    reply_parameters=reply,
                )
            case "location":
                return await self.bot.send_location(
                    chat_id,
                    latitude=payload["latitude"],
                    longitude=payload["longitude"],
                    reply_parameters=reply,
                )
            case "venue":
                return await self.bot.send_venue(
                    chat_id,
                    latitude=payload["latitude"],
                    longitude=payload["longitude"],
                    title=payload["title"],
                    address=payload["address"] or "-",
                    reply_parameters=reply,
                )
            case "edit_text":
                return await self.bot.edit_message_text(
                    payload["text"],
                    chat_id=chat_id,
                    message_id=target,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
            case "edit_caption":
                return await self.bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=target,
                    caption=payload["text"],
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            case "delete":
                return await self.bot.delete_message(chat_id, target or 0)
        raise ValueError(f"unknown outbox kind {item.kind!r}")


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns while it moves retry_after from int to timedelta; either is fine here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

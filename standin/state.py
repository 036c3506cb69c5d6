"""The world's memory: who exists, what was said where, and the bot's update queue."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standin.apijson import DEFAULT_API_JSON, ApiJsonSchema, load_api_json
from standin.errors import ApiError, SimulationError, bad_request, conflict
from standin.faults import FaultHook
from standin.holds import Hold
from standin.limits import FloodLimits
from standin.model import (
    Call,
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    JsonDict,
    User,
)

Clock = Callable[[], float]

# What Telegram delivers when allowed_updates was never set (or set to an empty list).
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


class WorldState:
    """Users, chats, messages, pending updates and the record of calls.

    ``clock`` returns unix seconds and stamps every message; ``api_json`` names an optional
    published API description checked in addition to the built-in table (skipped when the
    file does not exist, or when None); ``privacy_mode`` is the default for new groups.
    ``limits`` turns on Telegram's flood limits (off when None, the default).
    """

    def __init__(
        self,
        *,
        bot_id: int = 7_000_000_001,
        bot_username: str = "griddesk_bot",
        bot_name: str = "GridDesk",
        clock: Clock = time.time,
        api_json: Path | None = DEFAULT_API_JSON,
        first_update_id: int = 1,
        privacy_mode: bool = True,
        limits: FloodLimits | None = None,
    ) -> None:
        self.bot = User(bot_id, bot_name, username=bot_username, is_bot=True)
        self.clock = clock
        self.privacy_mode_default = privacy_mode
        self.users: dict[int, User] = {bot_id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.updates: list[JsonDict] = []
        self.next_update_id = first_update_id
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.webhook: JsonDict = {"url": ""}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.callbacks: dict[str, CallbackQueryRecord] = {}
        self.files: dict[str, list[JsonDict]] = {}
        self.documents: dict[str, bytes] = {}
        self.calls: list[Call] = []
        self.faults: FaultHook | None = None
        self.api_schema: ApiJsonSchema | None = load_api_json(api_json)
        self.limits = limits
        self.holds: dict[int, Hold] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._poll: asyncio.Future[None] | None = None
        self._serial = 0

    def now(self) -> int:
        """The world's current time in integer unix seconds."""
        return int(self.clock())

    def serial(self) -> int:
        """A number never handed out before (for file and query ids)."""
        self._serial += 1
        return self._serial

    def user(self, user_id: int) -> User:
        """The known user with this id; SimulationError if there is none."""
        try:
            return self.users[user_id]
        except KeyError:
            raise SimulationError(f"unknown user {user_id}; add_user() it first") from None

    def chat(self, chat_id: int) -> Chat:
        """The known chat with this id; SimulationError if there is none."""
        try:
            return self.chats[chat_id]
        except KeyError:
            raise SimulationError(f"unknown chat {chat_id}; add_chat() it first") from None

    def find_chat(self, chat_id: int | str) -> Chat:
        """Resolve an API ``chat_id`` (number or ``@username``); ApiError if unknown."""
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for candidate in self.chats.values():
                if candidate.username and candidate.username.lower() == wanted:
                    return candidate
            raise bad_request("chat not found")
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def addressed_chat(self, chat_id: Any) -> Chat | None:
        """The known chat a request's ``chat_id`` names, as sent or normalised, if any."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            try:
                return self.find_chat(chat_id)
            except ApiError:
                return None
        try:
            return self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            return None

    def store(self, chat: Chat, sender_id: int, **fields: Any) -> ChatMessage:
        """Append a new message to ``chat`` with the next id and the current date."""
        message = ChatMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            sender_id=sender_id,
            date=self.now(),
            from_bot=sender_id == self.bot.id,
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        chat.timeline.append(message.message_id)
        return message

    def chat_dict(self, chat: Chat) -> JsonDict:
        """Serialise a chat as a Bot API ``Chat`` object."""
        data: JsonDict = {"id": chat.id, "type": chat.type}
        if chat.is_private:
            person = self.users.get(chat.id)
            if person is not None:
                data["first_name"] = person.first_name
                for key in ("last_name", "username"):
                    if getattr(person, key):
                        data[key] = getattr(person, key)
            return data
        data["title"] = chat.title or ""
        if chat.username:
            data["username"] = chat.username
        return data

    def message_dict(self, message: ChatMessage, *, nested: bool = True) -> JsonDict:
        """Serialise a message as a Bot API ``Message`` (replied-to message one level deep)."""
        chat = self.chats[message.chat_id]
        data: JsonDict = {
            "message_id": message.message_id,
            "from": self.users[message.sender_id].to_dict(),
            "chat": self.chat_dict(chat),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if nested and message.reply_to is not None:
            target = chat.messages.get(message.reply_to)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self.message_dict(target, nested=False)
        if message.forward_origin is not None:
            data["forward_origin"] = message.forward_origin
        for key in ("text", "caption", "photo", "document", "location", "venue"):
            value = getattr(message, key)
            if value is not None:
                data[key] = copy.deepcopy(value)
        if message.entities:
            data["entities"] = copy.deepcopy(message.entities)
        if message.caption_entities:
            data["caption_entities"] = copy.deepcopy(message.caption_entities)
        data.update(copy.deepcopy(message.options))
        if message.service is not None:
            data.update(self._service_fields(chat, message.service))
        if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = copy.deepcopy(message.reply_markup)
        return data

    def _service_fields(self, chat: Chat, service: JsonDict) -> JsonDict:
        fields: JsonDict = {}
        if "new_chat_members" in service:
            fields["new_chat_members"] = [
                self.users[uid].to_dict() for uid in service["new_chat_members"]
            ]
        if "left_chat_member" in service:
            fields["left_chat_member"] = self.users[service["left_chat_member"]].to_dict()
        if "pinned_message" in service:
            pinned = chat.messages[service["pinned_message"]]
            fields["pinned_message"] = self.message_dict(pinned, nested=False)
        return fields

    def enqueue(self, kind: str, payload: JsonDict) -> JsonDict | None:
        """Queue an update for the bot unless ``allowed_updates`` excludes ``kind``.

        Returns a copy of the queued Update, or None when the bot would not get it.
        """
        if kind not in self.allowed_updates:
            return None
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        return copy.deepcopy(update)

    def interrupt_poll(self) -> None:
        """End a long poll still waiting, with the 409 Telegram gives the older of two polls."""
        if self._poll is not None and not self._poll.done():
            self._poll.set_exception(
                conflict(
                    "terminated by other getUpdates request; "
                    "make sure that only one bot instance is running"
                )
            )

    async def wait_for_update(self, timeout: float) -> None:
        """Return when an update is queued or ``timeout`` seconds pass.

        A newer long poll ends an older waiting one with 409 Conflict, as Telegram does when
        two bot instances poll at once.
        """
        self.interrupt_poll()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poll = waiter
        self._waiters.append(waiter)
        try:
            await asyncio.wait({waiter}, timeout=timeout)
            if waiter.done():
                waiter.result()
        finally:
            self._waiters.remove(waiter)
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # marks a conflict as seen even if this poll was cancelled

    def new_photo(self, width: int = 1280, height: int = 960) -> list[JsonDict]:
        """Register a new photo and return its ``PhotoSize`` list, smallest first."""
        serial = self.serial()
        sizes: list[JsonDict] = []
        for tag, limit in (("s", 90), ("m", 320), ("x", 800), ("y", 1280)):
            scale = min(1.0, limit / max(width, height))
            sizes.append(
                {
                    "file_id": f"AgACAgIAAxkBAAI{serial:06d}{tag}",
                    "file_unique_id": f"AQAD{serial:06d}{tag}",
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": max(1, round(width * height * scale * scale / 8)),
                }
            )
            if scale == 1.0:
                break
        for size in sizes:
            self.files[size["file_id"]] = sizes
        return sizes

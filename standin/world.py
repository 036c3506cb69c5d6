"""The world: a local Telegram with people in it, answering Bot API calls."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from standin import methods, methods_bot, methods_chat
from standin.errors import ApiError, SimulationError, not_found, too_many_requests
from standin.faults import Fault
from standin.holds import Hold
from standin.limits import counts_against_limits
from standin.membership import Membership
from standin.model import ApiResponse, Call, Chat, ChatMessage
from standin.schema import normalize, resolve_method
from standin.transcript import render_transcript

Handler = Callable[[Any, dict[str, Any]], Any]

HANDLERS: dict[str, Handler] = {
    "getMe": methods_bot.get_me,
    "logOut": methods_bot.log_out,
    "close": methods_bot.log_out,
    "getUpdates": methods_bot.get_updates,
    "setWebhook": methods_bot.set_webhook,
    "deleteWebhook": methods_bot.delete_webhook,
    "getWebhookInfo": methods_bot.get_webhook_info,
    "setMyCommands": methods_bot.set_my_commands,
    "deleteMyCommands": methods_bot.delete_my_commands,
    "getMyCommands": methods_bot.get_my_commands,
    "sendMessage": methods.send_message,
    "sendLocation": methods.send_location,
    "sendVenue": methods.send_venue,
    "sendPhoto": methods.send_photo,
    "sendDocument": methods.send_document,
    "editMessageText": methods.edit_message_text,
    "editMessageCaption": methods.edit_message_caption,
    "editMessageReplyMarkup": methods.edit_message_reply_markup,
    "deleteMessage": methods.delete_message,
    "answerCallbackQuery": methods_chat.answer_callback_query,
    "getChat": methods_chat.get_chat,
    "getChatMember": methods_chat.get_chat_member,
    "getChatAdministrators": methods_chat.get_chat_administrators,
    "leaveChat": methods_chat.leave_chat,
    "pinChatMessage": methods_chat.pin_chat_message,
    "unpinChatMessage": methods_chat.unpin_chat_message,
}


class World(Membership):
    """A local stand-in for Telegram: answers Bot API calls and simulates people.

    Every call is recorded in ``calls``; set ``faults`` to a callable
    ``(method, raw_params) -> Fault | None`` (e.g. a FaultPlan) to make calls fail, and
    ``limits`` to a ``FloodLimits`` to answer 429 when the bot sends faster than Telegram
    allows (the refused request is not carried out).
    """

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> ApiResponse:
        """Answer one Bot API request the way Telegram would.

        ``params`` may hold strings as sent over HTTP or Python objects as PTB builds them.
        Always returns a response (errors included); ``dropped`` asks the transport to close
        the connection without answering. The answer to a request for a held chat waits as
        the hold says (see ``hold``), after the request was carried out.
        """
        raw = dict(params or {})
        response = await self._respond(method, raw)
        chat = self.addressed_chat(raw.get("chat_id"))
        hold = self.holds.get(chat.id) if chat is not None else None
        if hold is not None and not hold.released:
            await hold.delay()
        return response

    def hold(self, chat_id: int, seconds: float | None = None) -> Hold:
        """Hold the answers to requests for one chat until released (or each ``seconds``).

        Requests naming the chat (``chat_id``) are carried out at once; only their answers
        wait. Other chats are answered as usual. Returns the hold, to ``release()`` it.
        """
        hold = Hold(self.chat(chat_id).id, seconds)
        self.holds[hold.chat_id] = hold
        return hold

    async def _respond(self, method: str, raw: dict[str, Any]) -> ApiResponse:
        name = resolve_method(method)
        fault = self.faults(name or method, raw) if self.faults is not None else None
        if fault is not None and not fault.after_apply:
            self.calls.append(
                Call(
                    name or method,
                    raw,
                    ok=False,
                    error_code=fault.status,
                    description=fault.description,
                    fault=fault,
                )
            )
            return _fault_response(fault)
        response = await self._answer(name, method, raw, fault)
        return response if fault is None else _fault_response(fault)

    async def _answer(
        self, name: str | None, method: str, raw: dict[str, Any], fault: Fault | None
    ) -> ApiResponse:
        params: dict[str, Any] = raw
        ignored: tuple[str, ...] = ()
        try:
            if name is None:
                raise not_found()
            params, ignored = normalize(name, raw)
            if self.api_schema is not None:
                self.api_schema.check(name, params)
            limited = self._within_limits(name, params)
            result = HANDLERS[name](self, params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            self.calls.append(
                Call(
                    name or method,
                    params,
                    ok=False,
                    error_code=error.error_code,
                    description=error.description,
                    fault=fault,
                    ignored=ignored,
                )
            )
            return ApiResponse(error.error_code, error.payload())
        if limited is not None and self.limits is not None:
            self.limits.spend(limited.id, private=limited.is_private, now=self.clock())
        self.calls.append(Call(name, params, True, result, fault=fault, ignored=ignored))
        return ApiResponse(200, {"ok": True, "result": result})

    def _within_limits(self, name: str, params: dict[str, Any]) -> Chat | None:
        """The chat whose budget the request spends; 429 when the bot's or its own is out."""
        if self.limits is None or not counts_against_limits(name):
            return None
        chat = self.addressed_chat(params.get("chat_id"))
        if chat is None:
            return None  # answered by the method itself (chat not found)
        wait = self.limits.retry_after(chat.id, private=chat.is_private, now=self.clock())
        if wait is not None:
            raise too_many_requests(wait)
        return chat

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method, oldest first."""
        return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Messages the bot sent in a chat, oldest first (live objects, current state)."""
        return [
            message
            for message in self.chat(chat_id).messages.values()
            if message.from_bot
            and message.service is None
            and (include_deleted or not message.deleted)
        ]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        """The current state of any message (deleted ones too, with ``deleted`` set)."""
        try:
            return self.chat(chat_id).messages[message_id]
        except KeyError:
            raise SimulationError(f"no message {message_id} in chat {chat_id}") from None

    def last_bot_message(self, chat_id: int) -> ChatMessage | None:
        """The bot's most recent message still present in the chat, if any."""
        sent = self.sent_to(chat_id)
        return sent[-1] if sent else None

    def transcript(self, chat_id: int, tz: str = "UTC", *, show_presses: bool = False) -> list[str]:
        """The chat as a person reads it; see ``render_transcript``."""
        return render_transcript(self, chat_id, tz, show_presses=show_presses)

    def __repr__(self) -> str:
        return (
            f"World(bot=@{self.bot.username}, users={len(self.users) - 1}, "
            f"chats={len(self.chats)}, pending_updates={len(self.updates)}, "
            f"calls={len(self.calls)})"
        )


def _fault_response(fault: Fault) -> ApiResponse:
    return ApiResponse(fault.status, fault.payload(), dropped=fault.drop)

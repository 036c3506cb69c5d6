"""A chat rendered as the people in it would read it, one string per line."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from standin.model import Chat, ChatMessage, JsonDict, Popup, Press
from standin.state import WorldState

_INDENT = " " * 8
_SNIPPET = 40


def render_transcript(
    state: WorldState, chat_id: int, tz: str = "UTC", *, show_presses: bool = False
) -> list[str]:
    """Render ``chat_id`` in order: messages in their final state, then popups where shown.

    Lines look like ``[HH:MM] Name: text`` (time in zone ``tz``); inline buttons follow as
    ``[ Claim ]  [ Release ]``; answers shown as alerts appear as
    ``  ⚠ (popup to Name) text``.  Button presses themselves appear only with
    ``show_presses`` (people do not see each other press).
    """
    chat = state.chat(chat_id)
    zone = ZoneInfo(tz)
    lines: list[str] = []
    for entry in chat.timeline:
        if isinstance(entry, Popup):
            name = state.users[entry.user_id].display_name
            marker, kind = ("⚠", "popup") if entry.alert else ("💬", "toast")
            lines.append(f"  {marker} ({kind} to {name}) {entry.text}")
        elif isinstance(entry, Press):
            if show_presses:
                lines.append(f"  👆 {_press(state, chat, entry)}")
        else:
            message = chat.messages[entry]
            if not message.deleted:
                lines.extend(_message_lines(state, chat, message, zone))
    return lines


def _press(state: WorldState, chat: Chat, press: Press) -> str:
    name = state.users[press.user_id].display_name
    message = chat.messages[press.message_id]
    labels = [
        button["text"]
        for row in message.inline_keyboard
        for button in row
        if button.get("callback_data") == press.data
    ]
    shown = f"[ {labels[0]} ]" if labels else f"(data {press.data!r})"
    return f"{name} pressed {shown}"


def _message_lines(
    state: WorldState, chat: Chat, message: ChatMessage, zone: ZoneInfo
) -> list[str]:
    clock = datetime.fromtimestamp(message.date, zone).strftime("%H:%M")
    head = f"[{clock}] {state.users[message.sender_id].display_name}"
    if message.reply_to is not None and message.reply_to in chat.messages:
        replied = chat.messages[message.reply_to]
        head += f" ↪ {state.users[replied.sender_id].display_name}"
    body = _body(state, chat, message)
    if message.forward_origin is not None:
        origin = message.forward_origin.get("sender_user", {}).get("first_name", "someone")
        body = f"⤷ forwarded from {origin}: {body}"
    if message.edited:
        body += " (edited)"
    first, *rest = body.split("\n")
    lines = [f"{head}: {first}", *(_INDENT + line for line in rest)]
    lines.extend(_keyboard_lines(message.reply_markup))
    return lines


def _body(state: WorldState, chat: Chat, message: ChatMessage) -> str:
    if message.service is not None:
        return _service(state, chat, message)
    if message.document is not None:
        name = message.document.get("file_name", "")
        return f"📎 {name}" + (f" {message.caption}" if message.caption else "")
    if message.photo is not None:
        return "🖼 (photo)" + (f" {message.caption}" if message.caption else "")
    if message.venue is not None:
        return f"📍 {message.venue['title']} — {message.venue['address']}"
    if message.location is not None:
        place = message.location
        live = " (live)" if "live_period" in place else ""
        return f"📍 {place['latitude']:.4f}, {place['longitude']:.4f}{live}"
    return message.text or ""


def _service(state: WorldState, chat: Chat, message: ChatMessage) -> str:
    service = message.service or {}
    if "new_chat_members" in service:
        ids = service["new_chat_members"]
        names = ", ".join(state.users[uid].display_name for uid in ids)
        return "➕ joined" if ids == [message.sender_id] else f"➕ added {names}"
    if "left_chat_member" in service:
        gone = service["left_chat_member"]
        if gone == message.sender_id:
            return "➖ left"
        return f"➖ removed {state.users[gone].display_name}"
    if "pinned_message" in service:
        pinned = chat.messages[service["pinned_message"]]
        text = _body(state, chat, pinned)
        snippet = text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"
        return f"📌 pinned «{snippet}»"
    return "(service message)"


def _keyboard_lines(markup: JsonDict | None) -> list[str]:
    if markup is None:
        return []
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        return [_INDENT + "  ".join(f"[ {b['text']} ]" for b in row) for row in rows]
    if "keyboard" in markup:
        rows = markup["keyboard"]
        return [_INDENT + "⌨ " + "  ".join(f"[ {b['text']} ]" for b in row) for row in rows]
    return []

"""What the bot sends, in platform-neutral form, as stored in the outbox.

Text is HTML (Telegram's HTML parse mode). A markup is one of: inline buttons, a forced
reply aimed at one person, a one-button keyboard asking for the location, or removal of
such a keyboard. ``handlers/transport.py`` turns these into Bot API calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Markup = dict[str, Any]


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None

    def as_json(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        return {"text": self.text, "data": self.data or ""}


def inline(rows: list[list[Button]]) -> Markup:
    return {"inline": [[button.as_json() for button in row] for row in rows]}


def force_reply(placeholder: str) -> Markup:
    return {"force_reply": {"placeholder": placeholder[:64]}}


def ask_location(button_text: str, placeholder: str) -> Markup:
    return {"ask_location": {"text": button_text, "placeholder": placeholder[:64]}}


@dataclass(frozen=True)
class Notice:
    """One message to send (or edit) as stored in the outbox.

    ``kind`` is text, photo, location, venue, edit_text, edit_caption or delete.
    """

    chat_id: int
    kind: str
    purpose: str
    payload: dict[str, Any] = field(default_factory=dict)
    ticket_id: int | None = None
    reply_to_outbox_id: int | None = None
    reply_to_message_id: int | None = None
    target_outbox_id: int | None = None


def text(
    chat_id: int, body: str, purpose: str, markup: Markup | None = None, **refs: Any
) -> Notice:
    payload: dict[str, Any] = {"text": body}
    if markup:
        payload["markup"] = markup
    return Notice(chat_id, "text", purpose, payload, **refs)


def delete(target_outbox_id: int, chat_id: int, purpose: str) -> Notice:
    """Delete a message sent earlier (one that would only confuse if left)."""
    return Notice(chat_id, "delete", purpose, target_outbox_id=target_outbox_id)


def edit(
    target_outbox_id: int,
    chat_id: int,
    body: str,
    purpose: str,
    *,
    caption: bool,
    markup: Markup | None = None,
    ticket_id: int | None = None,
) -> Notice:
    """Replace the text (or caption) and buttons of a message sent earlier."""
    payload: dict[str, Any] = {"text": body, "markup": markup or {"inline": []}}
    return Notice(
        chat_id,
        "edit_caption" if caption else "edit_text",
        purpose,
        payload,
        ticket_id=ticket_id,
        target_outbox_id=target_outbox_id,
    )

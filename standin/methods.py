"""Bot API methods that create, change or remove messages."""

from __future__ import annotations

from typing import Any

from standin.errors import bad_request, forbidden
from standin.html import HtmlParseError, parse_html
from standin.markup import (
    check_entities,
    check_object,
    check_reply_markup,
    check_reply_parameters,
)
from standin.model import Chat, ChatMessage, JsonDict, Upload
from standin.schema import Params
from standin.state import WorldState

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def sendable_chat(state: WorldState, chat_id: int | str) -> Chat:
    """The chat a send or edit targets, refusing chats the bot cannot post in."""
    if isinstance(chat_id, int) and chat_id not in state.chats and chat_id in state.users:
        raise forbidden("bot can't initiate conversation with a user")
    chat = state.find_chat(chat_id)
    if chat.is_private and chat.blocked_by_user:
        raise forbidden("bot was blocked by the user")
    kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
    if chat.bot_status == "kicked":
        raise forbidden(f"bot was kicked from the {kind}")
    if chat.bot_status == "left":
        raise forbidden(f"bot is not a member of the {kind}")
    return chat


def formatted(
    text: str, parse_mode: str | None, entities: Any, entities_name: str
) -> tuple[str, list[JsonDict]]:
    """Apply ``parse_mode`` or explicit entities; returns visible text and entities."""
    if entities is not None:
        return text, check_entities(entities, entities_name)
    if parse_mode is None or parse_mode == "":
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        try:
            parsed = parse_html(text)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        return parsed.text, parsed.entities
    if mode in ("markdown", "markdownv2"):
        # Markdown is passed through unchecked; the product formats with HTML.
        return text, []
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def _checked_text(params: Params) -> tuple[str, list[JsonDict]]:
    text, entities = formatted(
        params["text"], params.get("parse_mode"), params.get("entities"), "entities"
    )
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def _checked_caption(params: Params) -> tuple[str | None, list[JsonDict]]:
    if "caption" not in params:
        return None, []
    caption, entities = formatted(
        params["caption"], params.get("parse_mode"), params.get("caption_entities"), "caption"
    )
    if len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return (caption or None), entities


def _reply_target(state: WorldState, chat: Chat, params: Params) -> int | None:
    if "reply_parameters" not in params:
        return None
    reply = check_reply_parameters(params["reply_parameters"])
    target_chat = chat if "chat_id" not in reply else state.find_chat(reply["chat_id"])
    target = target_chat.messages.get(reply["message_id"])
    if target is None or target.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    # A quote from another chat is shown as a quote, not as a reply in this chat.
    return target.message_id if target_chat is chat else None


def _markup(chat: Chat, params: Params, *, inline_only: bool) -> JsonDict | None:
    if "reply_markup" not in params:
        return None
    return check_reply_markup(
        params["reply_markup"], private_chat=chat.is_private, inline_only=inline_only
    )


def _options(params: Params) -> JsonDict:
    options: JsonDict = {}
    if params.get("protect_content"):
        options["has_protected_content"] = True
    if params.get("has_spoiler"):
        options["has_media_spoiler"] = True
    if params.get("show_caption_above_media"):
        options["show_caption_above_media"] = True
    if "link_preview_options" in params:
        check_object(params["link_preview_options"], "link_preview_options")
    return options


def _send(state: WorldState, params: Params, **content: Any) -> JsonDict:
    chat = sendable_chat(state, params["chat_id"])
    reply_to = _reply_target(state, chat, params)
    markup = _markup(chat, params, inline_only=False)
    message = state.store(
        chat,
        state.bot.id,
        reply_to=reply_to,
        reply_markup=markup,
        options=_options(params),
        **content,
    )
    return state.message_dict(message)


def send_message(state: WorldState, params: Params) -> JsonDict:
    """sendMessage: text (optionally HTML) with optional keyboard and reply."""
    text, entities = _checked_text(params)
    return _send(state, params, text=text, entities=entities)


def _position(params: Params) -> JsonDict:
    latitude, longitude = params["latitude"], params["longitude"]
    if not -90 <= latitude <= 90:
        raise bad_request("wrong latitude")
    if not -180 <= longitude <= 180:
        raise bad_request("wrong longitude")
    return {"latitude": latitude, "longitude": longitude}


def send_location(state: WorldState, params: Params) -> JsonDict:
    """sendLocation: a point, optionally live for ``live_period`` seconds."""
    location = _position(params)
    for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
        if key in params:
            location[key] = params[key]
    return _send(state, params, location=location)


def send_venue(state: WorldState, params: Params) -> JsonDict:
    """sendVenue: a titled place with an address."""
    location = _position(params)
    venue: JsonDict = {"location": location, "title": params["title"]}
    venue["address"] = params["address"]
    for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
        if key in params:
            venue[key] = params[key]
    return _send(state, params, location=dict(location), venue=venue)


def _photo_sizes(state: WorldState, photo: Upload | str) -> list[JsonDict]:
    if isinstance(photo, Upload):
        return state.new_photo(*_image_size(photo.content))
    if photo in state.files:
        return [dict(size) for size in state.files[photo]]
    if photo.startswith(("http://", "https://")):
        return state.new_photo()
    raise bad_request("wrong file identifier/HTTP URL specified")


def _image_size(content: bytes) -> tuple[int, int]:
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    return 1280, 960


def send_photo(state: WorldState, params: Params) -> JsonDict:
    """sendPhoto: a photo by file_id, URL or upload, with an optional caption."""
    caption, entities = _checked_caption(params)
    photo = _photo_sizes(state, params["photo"])
    return _send(state, params, photo=photo, caption=caption, caption_entities=entities)


def send_document(state: WorldState, params: Params) -> JsonDict:
    """sendDocument: an uploaded file (or a known file_id) with an optional caption."""
    caption, entities = _checked_caption(params)
    upload = params["document"]
    if isinstance(upload, Upload):
        if not upload.content:
            raise bad_request("file must be non-empty")
        document = {
            "file_id": f"doc{state.serial()}",
            "file_unique_id": f"u{state.serial()}",
            "file_name": upload.filename,
            "mime_type": upload.mime_type,
            "file_size": len(upload.content),
        }
        state.documents[str(document["file_id"])] = upload.content
    else:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return _send(state, params, document=document, caption=caption, caption_entities=entities)


def _editable(state: WorldState, params: Params) -> ChatMessage:
    if "inline_message_id" in params:
        raise bad_request("message to edit not found")
    if "message_id" not in params:
        raise bad_request("message identifier is not specified")
    if "chat_id" not in params:
        raise bad_request("chat_id is empty")
    chat = sendable_chat(state, params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _inline(markup: JsonDict | None) -> JsonDict | None:
    return markup if markup is not None and "inline_keyboard" in markup else None


def _apply_edit(
    state: WorldState, message: ChatMessage, changes: JsonDict, markup: JsonDict | None
) -> JsonDict:
    unchanged = all(getattr(message, key) == value for key, value in changes.items())
    if unchanged and _inline(message.reply_markup) == markup:
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        setattr(message, key, value)
    # Omitting reply_markup in an edit removes the inline keyboard, as in Telegram.
    if markup is not None or _inline(message.reply_markup) is not None:
        message.reply_markup = markup
    message.edit_date = state.now()
    return state.message_dict(message)


def edit_message_text(state: WorldState, params: Params) -> JsonDict:
    """editMessageText: replace the text (and keyboard) of one of the bot's messages."""
    message = _editable(state, params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = _checked_text(params)
    markup = _markup(state.chats[message.chat_id], params, inline_only=True)
    return _apply_edit(state, message, {"text": text, "entities": entities}, markup)


def edit_message_caption(state: WorldState, params: Params) -> JsonDict:
    """editMessageCaption: replace the caption (and keyboard) of one of the bot's media."""
    message = _editable(state, params)
    if message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = _checked_caption(params)
    markup = _markup(state.chats[message.chat_id], params, inline_only=True)
    changes: JsonDict = {"caption": caption, "caption_entities": entities}
    return _apply_edit(state, message, changes, markup)


def edit_message_reply_markup(state: WorldState, params: Params) -> JsonDict:
    """editMessageReplyMarkup: replace or (when omitted) remove the inline keyboard."""
    message = _editable(state, params)
    markup = _markup(state.chats[message.chat_id], params, inline_only=True)
    return _apply_edit(state, message, {}, markup)


def delete_message(state: WorldState, params: Params) -> bool:
    """deleteMessage: the bot's own messages anywhere; others' only as admin or in private."""
    chat = sendable_chat(state, params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    if not (message.from_bot or chat.is_private or chat.bot_is_admin):
        raise bad_request("message can't be deleted")
    message.deleted = True
    return True

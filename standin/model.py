"""Plain data kept by the world: people, chats, messages and the record of API calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from standin.faults import Fault

JsonDict = dict[str, Any]


@dataclass
class User:
    """A Telegram account, human or bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def display_name(self) -> str:
        """The name a chat member sees: first name and, when set, last name."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_dict(self) -> JsonDict:
        """Serialise as a Bot API ``User`` object (unset optional fields omitted)."""
        data: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class Popup:
    """A callback-query answer shown to one person (an alert, or a toast when not)."""

    user_id: int
    text: str
    alert: bool
    date: int


@dataclass
class Press:
    """Somebody pressed an inline button."""

    user_id: int
    message_id: int
    data: str
    date: int


@dataclass
class ChatMessage:
    """The current state of one message in a chat (live object, updated by edits)."""

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    from_bot: bool = False
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    photo: list[JsonDict] | None = None
    document: JsonDict | None = None
    location: JsonDict | None = None
    venue: JsonDict | None = None
    reply_to: int | None = None
    reply_markup: JsonDict | None = None
    forward_origin: JsonDict | None = None
    service: JsonDict | None = None
    options: JsonDict = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False

    @property
    def edited(self) -> bool:
        """Whether the message was edited after it was sent."""
        return self.edit_date is not None

    @property
    def content(self) -> str | None:
        """The visible text: the message text, or the caption of a media message."""
        return self.text if self.text is not None else self.caption

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons attached to the message (empty when none)."""
        if self.reply_markup is None:
            return []
        rows: list[list[JsonDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def button_labels(self) -> list[list[str]]:
        """The inline keyboard as rows of button texts."""
        return [[button["text"] for button in row] for row in self.inline_keyboard]

    @property
    def callback_data(self) -> list[str]:
        """Every callback_data value on the inline keyboard, row by row."""
        return [
            button["callback_data"]
            for row in self.inline_keyboard
            for button in row
            if "callback_data" in button
        ]


TimelineEntry = int | Popup | Press


@dataclass
class CallbackQueryRecord:
    """A button press sent to the bot, and whether (and how) the bot answered it."""

    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    on_keyboard: bool
    answered: bool = False
    answer: JsonDict | None = None


@dataclass
class Chat:
    """A chat the world knows, with the bot's standing in it."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    privacy_mode: bool = True
    bot_status: str = "member"
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    pinned: list[int] = field(default_factory=list)
    next_message_id: int = 1
    blocked_by_user: bool = False

    @property
    def is_private(self) -> bool:
        """Whether this is a one-to-one chat between the bot and a person."""
        return self.type == "private"

    @property
    def bot_is_admin(self) -> bool:
        """Whether the bot is an administrator here."""
        return self.bot_status == "administrator"

    @property
    def bot_present(self) -> bool:
        """Whether the bot currently belongs to the chat."""
        return self.bot_status in ("member", "administrator")


@dataclass(frozen=True)
class Upload:
    """A file uploaded with a request (multipart part)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.content)} bytes, {self.mime_type!r})"


@dataclass(frozen=True)
class Venue:
    """A place a person shares: coordinates plus a title and an address."""

    latitude: float
    longitude: float
    title: str
    address: str
    google_place_id: str | None = None


@dataclass(frozen=True)
class Call:
    """One Bot API request as the world saw it, and how it was answered.

    ``params`` are the normalised parameters (as received when the call failed before
    normalisation); ``ignored`` names PTB ``Defaults`` extras that were dropped.
    """

    method: str
    params: JsonDict
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    fault: Fault | None = None
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiResponse:
    """The HTTP status and JSON body for one call; ``dropped`` means no answer at all."""

    status: int
    payload: JsonDict
    dropped: bool = False

    def body(self) -> bytes:
        """The JSON body as UTF-8 bytes, as Telegram would send it."""
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


@dataclass
class ManualClock:
    """A clock for deterministic runs: returns ``now`` until told to move."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self.now += seconds

"""What people do in the world: write, reply, share places, press buttons, join and leave."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from standin.entities import detect_entities, leading_command, mentions
from standin.errors import SimulationError
from standin.model import (
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    JsonDict,
    Press,
    User,
    Venue,
)
from standin.state import WorldState

_PRESENT = ("creator", "administrator", "member")


class People(WorldState):
    """World state plus the actions of the people in it (each returns the bot's Update)."""

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
    ) -> User:
        """Create (or replace) a person the world knows."""
        user = User(user_id, first_name, last_name, username, language_code, is_bot)
        self.users[user_id] = user
        return user

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "supergroup",
        title: str | None = None,
        *,
        members: Iterable[int] | Mapping[int, str] = (),
        username: str | None = None,
        privacy_mode: bool | None = None,
        bot_is_admin: bool = False,
        bot_member: bool = True,
    ) -> Chat:
        """Create a chat as it already exists (no updates are produced).

        ``members`` is a list of user ids (status ``member``) or a mapping id -> status
        (``creator``, ``administrator``, ``member``, ``left``, ``kicked``).  A private chat
        uses the person's id as ``chat_id`` and means they have started the bot.
        """
        if chat_type not in ("private", "group", "supergroup"):
            raise SimulationError(f"unsupported chat type {chat_type!r}")
        if chat_type == "private":
            self.user(chat_id)
        status = dict(members) if isinstance(members, Mapping) else dict.fromkeys(members, "member")
        for user_id in status:
            self.user(user_id)
        bot_status = "administrator" if bot_is_admin else "member" if bot_member else "left"
        chat = Chat(
            chat_id,
            chat_type,
            title=title,
            username=username,
            privacy_mode=self.privacy_mode_default if privacy_mode is None else privacy_mode,
            bot_status=bot_status,
            members=status,
        )
        self.chats[chat_id] = chat
        return chat

    def bot_receives(self, chat: Chat, message: ChatMessage) -> bool:
        """Whether Telegram would deliver ``message`` to the bot (privacy-mode rules)."""
        if not chat.bot_present:
            return False
        if chat.is_private or not chat.privacy_mode or chat.bot_is_admin:
            return True
        if message.service is not None:
            return True
        text = message.content
        entities = message.entities if message.text is not None else message.caption_entities
        own_name = (self.bot.username or "").lower()
        command = leading_command(text, entities)
        if command is not None:
            _, _, addressee = command.partition("@")
            if not addressee or addressee.lower() == own_name:
                return True
        if own_name in mentions(text, entities):
            return True
        replied = chat.messages.get(message.reply_to) if message.reply_to else None
        return replied is not None and replied.from_bot

    def _deliver(self, kind: str, chat: Chat, message: ChatMessage) -> JsonDict | None:
        if not self.bot_receives(chat, message):
            return None
        return self.enqueue(kind, self.message_dict(message))

    def _chat_of(self, chat_id: int, user: User) -> Chat:
        if chat_id == user.id and chat_id not in self.chats:
            return self.add_chat(chat_id, "private")
        chat = self.chat(chat_id)
        if chat.is_private:
            if chat_id != user.id:
                raise SimulationError(f"user {user.id} cannot write in {chat_id}'s private chat")
            if chat.blocked_by_user:
                raise SimulationError(f"user {user.id} has blocked the bot")
        elif chat.members.get(user.id) not in _PRESENT:
            raise SimulationError(f"user {user.id} is not a member of chat {chat_id}")
        return chat

    def user_sends(
        self,
        chat_id: int,
        user_id: int,
        *,
        text: str | None = None,
        entities: list[JsonDict] | None = None,
        location: tuple[float, float] | None = None,
        live_period: int | None = None,
        venue: Venue | None = None,
        photo: bool | str = False,
        caption: str | None = None,
        reply_to: int | None = None,
        forward_from: int | None = None,
    ) -> JsonDict | None:
        """A person posts one message (text, location, venue or photo) in a chat.

        The message is always stored.  Returns the queued Update only if the bot receives it
        (private chats: always; groups with privacy mode on and the bot not admin: commands
        for this bot, @mentions of it, replies to its messages and service messages).
        """
        user = self.user(user_id)
        chat = self._chat_of(chat_id, user)
        kinds = [text is not None, location is not None, venue is not None, photo is not False]
        if sum(kinds) != 1:
            raise SimulationError("send exactly one of text, location, venue or photo")
        if reply_to is not None and reply_to not in chat.messages:
            raise SimulationError(f"no message {reply_to} in chat {chat_id} to reply to")
        fields: JsonDict = {"reply_to": reply_to}
        if text is not None:
            fields.update(text=text, entities=entities or detect_entities(text))
        if location is not None:
            fields["location"] = {"latitude": location[0], "longitude": location[1]}
            if live_period is not None:
                fields["location"]["live_period"] = live_period
        if venue is not None:
            place = {"latitude": venue.latitude, "longitude": venue.longitude}
            fields["location"] = dict(place)
            fields["venue"] = {"location": place, "title": venue.title, "address": venue.address}
            if venue.google_place_id:
                fields["venue"]["google_place_id"] = venue.google_place_id
        if photo is not False:
            fields["photo"] = self._user_photo(photo)
            if caption is not None:
                fields.update(caption=caption, caption_entities=detect_entities(caption))
        if forward_from is not None:
            origin = self.user(forward_from).to_dict()
            fields["forward_origin"] = {"type": "user", "sender_user": origin, "date": self.now()}
        message = self.store(chat, user_id, **fields)
        return self._deliver("message", chat, message)

    def _user_photo(self, photo: bool | str) -> list[JsonDict]:
        if photo is True:
            return self.new_photo()
        if isinstance(photo, str) and photo in self.files:
            return [dict(size) for size in self.files[photo]]
        raise SimulationError(f"unknown photo file_id {photo!r}")

    def _own_message(self, chat_id: int, message_id: int) -> tuple[Chat, ChatMessage]:
        chat = self.chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise SimulationError(f"no message {message_id} in chat {chat_id}")
        return chat, message

    def edit_user_message(
        self, chat_id: int, message_id: int, *, text: str | None = None, caption: str | None = None
    ) -> JsonDict | None:
        """The author edits a message; returns the ``edited_message`` Update if delivered."""
        chat, message = self._own_message(chat_id, message_id)
        if message.from_bot:
            raise SimulationError("people cannot edit the bot's messages")
        if text is not None:
            message.text, message.entities = text, detect_entities(text)
        if caption is not None:
            message.caption, message.caption_entities = caption, detect_entities(caption)
        message.edit_date = self.now()
        return self._deliver("edited_message", chat, message)

    def move_live_location(
        self, chat_id: int, message_id: int, latitude: float, longitude: float
    ) -> JsonDict | None:
        """A shared live location moves; returns the ``edited_message`` Update if delivered."""
        chat, message = self._own_message(chat_id, message_id)
        if message.location is None or "live_period" not in message.location:
            raise SimulationError(f"message {message_id} is not a live location")
        message.location.update(latitude=latitude, longitude=longitude)
        message.edit_date = self.now()
        return self._deliver("edited_message", chat, message)

    def press_button(
        self, chat_id: int, message_id: int, user_id: int, data: str
    ) -> JsonDict | None:
        """Someone presses an inline button carrying ``data`` (not required to be on the
        keyboard: crafted data is allowed, ``on_keyboard`` records whether it was).

        Returns the ``callback_query`` Update (None only if allowed_updates excludes it).
        """
        user = self.user(user_id)
        chat, message = self._own_message(chat_id, message_id)
        query_id = str(4_200_000_000_000_000 + self.serial())
        on_keyboard = data in message.callback_data
        self.callbacks[query_id] = CallbackQueryRecord(
            query_id, chat_id, message_id, user_id, data, on_keyboard
        )
        chat.timeline.append(Press(user_id, message_id, data, self.now()))
        payload = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self.message_dict(message),
            "chat_instance": str(-(10**18) - abs(chat_id)),
            "data": data,
        }
        return self.enqueue("callback_query", payload)

    def click(self, chat_id: int, message_id: int, user_id: int, label: str) -> JsonDict | None:
        """Press the inline button whose text is ``label`` (see ``press_button``)."""
        _, message = self._own_message(chat_id, message_id)
        for row in message.inline_keyboard:
            for button in row:
                if button["text"] == label and "callback_data" in button:
                    return self.press_button(chat_id, message_id, user_id, button["callback_data"])
        raise SimulationError(f"message {message_id} has no callback button {label!r}")

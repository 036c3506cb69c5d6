"""Membership changes: the bot or people joining, leaving, being promoted, blocking."""

from __future__ import annotations

from standin.errors import SimulationError
from standin.methods_chat import member_dict
from standin.model import Chat, JsonDict
from standin.people import People


class Membership(People):
    """People's actions plus membership changes and the updates they produce."""

    def _group(self, chat_id: int) -> Chat:
        chat = self.chat(chat_id)
        if chat.is_private:
            raise SimulationError(f"chat {chat_id} is private")
        return chat

    def _bot_status_change(self, chat: Chat, by_user_id: int, new: str) -> JsonDict | None:
        old = chat.bot_status
        chat.bot_status = new
        return self.enqueue(
            "my_chat_member",
            {
                "chat": self.chat_dict(chat),
                "from": self.user(by_user_id).to_dict(),
                "date": self.now(),
                "old_chat_member": member_dict(self.bot, old),
                "new_chat_member": member_dict(self.bot, new),
            },
        )

    def bot_added(
        self, chat_id: int, by_user_id: int, *, as_admin: bool = False
    ) -> JsonDict | None:
        """Someone adds the bot to a group: returns the ``my_chat_member`` Update.

        The ``new_chat_members`` service message is stored and queued as well.
        """
        chat = self._group(chat_id)
        update = self._bot_status_change(
            chat, by_user_id, "administrator" if as_admin else "member"
        )
        joined = self.store(chat, by_user_id, service={"new_chat_members": [self.bot.id]})
        self._deliver("message", chat, joined)
        return update

    def bot_removed(self, chat_id: int, by_user_id: int) -> JsonDict | None:
        """Someone removes the bot from a group: returns the ``my_chat_member`` Update."""
        chat = self._group(chat_id)
        update = self._bot_status_change(chat, by_user_id, "kicked")
        self.store(chat, by_user_id, service={"left_chat_member": self.bot.id})
        return update

    def set_bot_admin(self, chat_id: int, by_user_id: int, admin: bool = True) -> JsonDict | None:
        """Promote (or demote) the bot: returns the ``my_chat_member`` Update."""
        chat = self._group(chat_id)
        return self._bot_status_change(chat, by_user_id, "administrator" if admin else "member")

    def set_privacy_mode(self, chat_id: int, enabled: bool) -> None:
        """Switch privacy mode for one group (Telegram's default is on)."""
        self._group(chat_id).privacy_mode = enabled

    def user_joins(
        self, chat_id: int, user_id: int, *, added_by: int | None = None
    ) -> JsonDict | None:
        """A person joins (or is added to) a group; returns the service-message Update."""
        chat = self._group(chat_id)
        self.user(user_id)
        chat.members[user_id] = "member"
        message = self.store(
            chat,
            added_by if added_by is not None else user_id,
            service={"new_chat_members": [user_id]},
        )
        return self._deliver("message", chat, message)

    def user_leaves(self, chat_id: int, user_id: int) -> JsonDict | None:
        """A person leaves a group; returns the service-message Update."""
        chat = self._group(chat_id)
        chat.members[user_id] = "left"
        message = self.store(chat, user_id, service={"left_chat_member": user_id})
        return self._deliver("message", chat, message)

    def user_blocks_bot(self, user_id: int) -> JsonDict | None:
        """A person blocks the bot; later sends to them fail with 403."""
        chat = self.chat(user_id)
        update = self._bot_status_change(chat, user_id, "kicked")
        chat.bot_status = "member"
        chat.blocked_by_user = True
        return update

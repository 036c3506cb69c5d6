"""Bot API methods about chats, their members, pinned messages and button answers."""

from __future__ import annotations

from standin.errors import bad_request
from standin.methods import sendable_chat
from standin.model import Chat, JsonDict, Popup, User
from standin.schema import Params
from standin.state import WorldState

MAX_CALLBACK_ANSWER = 200
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}
_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


def member_dict(user: User, status: str) -> JsonDict:
    """Serialise a ``ChatMember`` of the given status (creator, administrator, member...)."""
    data: JsonDict = {"status": status, "user": user.to_dict()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(_ADMIN_RIGHTS)
    elif status == "kicked":
        data["until_date"] = 0
    return data


def answer_callback_query(state: WorldState, params: Params) -> bool:
    """answerCallbackQuery: each query can be answered once; text shows as toast or alert."""
    record = state.callbacks.get(params["callback_query_id"])
    if record is None or record.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text", "")
    if len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answer = dict(params)
    if text:
        popup = Popup(record.user_id, text, bool(params.get("show_alert")), state.now())
        state.chats[record.chat_id].timeline.append(popup)
    return True


def get_chat(state: WorldState, params: Params) -> JsonDict:
    """getChat: a ``ChatFullInfo`` for a chat the bot can see."""
    chat = sendable_chat(state, params["chat_id"])
    full = state.chat_dict(chat)
    full.update(
        {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": dict(_NO_GIFTS)}
    )
    return full


def _status(state: WorldState, chat: Chat, user_id: int) -> str:
    if user_id == state.bot.id:
        return chat.bot_status
    if user_id not in state.users:
        raise bad_request("user not found")
    if chat.is_private:
        return "member" if user_id == chat.id else "left"
    return chat.members.get(user_id, "left")


def get_chat_member(state: WorldState, params: Params) -> JsonDict:
    """getChatMember: the user's standing in the chat (``left`` if never a member)."""
    chat = sendable_chat(state, params["chat_id"])
    status = _status(state, chat, params["user_id"])
    return member_dict(state.users[params["user_id"]], status)


def get_chat_administrators(state: WorldState, params: Params) -> list[JsonDict]:
    """getChatAdministrators: creator and admins; other bots only with ``return_bots``."""
    chat = sendable_chat(state, params["chat_id"])
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    admins: list[JsonDict] = []
    for user_id, status in chat.members.items():
        user = state.users[user_id]
        if status in ("creator", "administrator") and (
            not user.is_bot or params.get("return_bots")
        ):
            admins.append(member_dict(user, status))
    if chat.bot_is_admin:
        admins.append(member_dict(state.bot, "administrator"))
    return admins


def leave_chat(state: WorldState, params: Params) -> bool:
    """leaveChat: the bot leaves a group and is told so by a my_chat_member update."""
    chat = sendable_chat(state, params["chat_id"])
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    old = chat.bot_status
    chat.bot_status = "left"
    state.enqueue(
        "my_chat_member",
        {
            "chat": state.chat_dict(chat),
            "from": state.bot.to_dict(),
            "date": state.now(),
            "old_chat_member": member_dict(state.bot, old),
            "new_chat_member": member_dict(state.bot, "left"),
        },
    )
    return True


def _pin_rights(chat: Chat) -> None:
    if not chat.is_private and not chat.bot_is_admin:
        raise bad_request("not enough rights to manage pinned messages in the chat")


def pin_chat_message(state: WorldState, params: Params) -> bool:
    """pinChatMessage: needs admin rights in groups; groups also get a service message."""
    chat = sendable_chat(state, params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to pin not found")
    _pin_rights(chat)
    if message.message_id in chat.pinned:
        chat.pinned.remove(message.message_id)
    chat.pinned.append(message.message_id)
    if not chat.is_private:
        state.store(chat, state.bot.id, service={"pinned_message": message.message_id})
    return True


def unpin_chat_message(state: WorldState, params: Params) -> bool:
    """unpinChatMessage: unpin the given message, or the most recent pin when omitted."""
    chat = sendable_chat(state, params["chat_id"])
    _pin_rights(chat)
    message_id = params.get("message_id", chat.pinned[-1] if chat.pinned else None)
    if message_id is None or message_id not in chat.pinned:
        raise bad_request("message to unpin not found")
    chat.pinned.remove(message_id)
    return True

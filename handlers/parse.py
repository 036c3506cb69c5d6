"""Pure helpers that read Telegram objects into the domain's plain values."""

from __future__ import annotations

from telegram import Message, User

from bot.core.buttons import is_number
from bot.core.people import Person, Spot


def person_of(user: User) -> Person:
    return Person(
        id=user.id,
        name=user.full_name or str(user.id),
        username=user.username,
        language_code=user.language_code,
    )


def spot_of(message: Message) -> Spot | None:
    """The reported point of a location or venue message."""
    if message.venue is not None:
        venue = message.venue
        return Spot(venue.location.latitude, venue.location.longitude, venue.title, venue.address)
    if message.location is not None:
        return Spot(message.location.latitude, message.location.longitude)
    return None


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


def largest_photo(message: Message) -> str | None:
    if not message.photo:
        return None
    return max(message.photo, key=lambda size: size.width * size.height).file_id


def start_payload_group(payload: str) -> int | None:
    """The grid group id in a ``r<digits>`` deep-link payload."""
    if payload[:1] != "r" or not is_number(payload[1:], max_digits=19):
        return None
    return -int(payload[1:])

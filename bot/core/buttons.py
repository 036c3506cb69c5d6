"""Button data: compact, versioned strings such as ``v1:cat:12:noise``.

State lives in the database; a button only names an action and the row it is about, so a
stale or crafted button is checked against the database like any other request.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

VERSION = "v1"
MAX_BYTES = 64  # Telegram's limit on callback_data


class Press(StrEnum):
    """Every button action; the value is what the button's data carries."""

    # reporting
    CATEGORY = "cat"
    SKIP = "skip"
    CANCEL = "cancel"
    # "same problem?"
    JOIN = "join"
    NOT_SAME = "new"
    # the officer workflow on the card
    CLAIM = "claim"
    ARRIVE = "arrive"
    RESOLVE = "resolve"
    RELEASE = "release"
    RELEASE_REASON = "relr"
    ASSIGN = "assign"
    ASSIGN_TO = "asgo"
    BACK = "back"
    # the resolution prompt
    OUTCOME_CLASS = "rcls"
    OUTCOME_ACTION = "ract"
    NO_NOTE = "rskip"
    STOP_RESOLVING = "rcan"
    VENDING_POINT = "rpt"  # argument: the point's id (at most 24 characters)
    NO_POINT = "rpno"
    TIME_LIMIT = "rlim"  # argument: the limit in seconds, one of the action's limits
    # the re-inspection (复查) card
    RECHECK_RECTIFIED = "rcok"
    RECHECK_NOT_RECTIFIED = "rcno"
    # the reporter's confirmation
    SOLVED = "ok"
    NOT_SOLVED = "nok"
    RATE = "rate"
    # a lead's broadcast notice
    NOTICE_PICK = "npick"
    NOTICE_SEND = "nsend"
    NOTICE_ACK = "nack"
    NOTICE_STATUS = "nstat"
    NOTICE_REMIND = "nrem"


_BY_VALUE = {action.value: action for action in Press}


@dataclass(frozen=True)
class ButtonPress:
    action: Press
    row_id: int
    argument: str = ""


def is_number(text: str, max_digits: int = 12) -> bool:
    """Whether ``text`` is 1 to ``max_digits`` ASCII digits: ``str.isdigit`` also accepts
    "①" and "²", which Chinese input methods produce and ``int`` rejects."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def encode(action: Press, row_id: int, argument: str = "") -> str:
    """Button data for ``action`` on row ``row_id``; raises if it would exceed 64 bytes."""
    data = f"{VERSION}:{action.value}:{row_id}" + (f":{argument}" if argument else "")
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> ButtonPress | None:
    """The press a button's data stands for, or None for anything malformed or unknown."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != VERSION or parts[1] not in _BY_VALUE:
        return None
    if not is_number(parts[2]):
        return None
    return ButtonPress(_BY_VALUE[parts[1]], int(parts[2]), parts[3] if len(parts) == 4 else "")

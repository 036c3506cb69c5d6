"""Entities Telegram detects by itself in what people type: commands and @mentions."""

from __future__ import annotations

import re
from typing import Any

from standin.html import utf16_len

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Return ``bot_command`` and ``mention`` entities found in ``text`` (UTF-16 offsets)."""
    found: list[tuple[int, int, str]] = []
    for pattern, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        found.extend((match.start(), match.end(), kind) for match in pattern.finditer(text))
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in found
    ]


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """The slice of ``text`` an entity covers (entity offsets are UTF-16 units)."""
    encoded = text.encode("utf-16-le")
    start = entity["offset"] * 2
    return encoded[start : start + entity["length"] * 2].decode("utf-16-le")


def leading_command(text: str | None, entities: list[dict[str, Any]]) -> str | None:
    """The ``/command`` or ``/command@bot`` the text starts with, if any."""
    if not text:
        return None
    for entity in entities:
        if entity["type"] == "bot_command" and entity["offset"] == 0:
            return entity_text(text, entity)
    return None


def mentions(text: str | None, entities: list[dict[str, Any]]) -> list[str]:
    """Lower-cased usernames (without ``@``) mentioned in the text."""
    if not text:
        return []
    return [
        entity_text(text, entity)[1:].lower() for entity in entities if entity["type"] == "mention"
    ]

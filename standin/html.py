"""Telegram's HTML parse mode: validate markup and compute the visible text and entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "tg-emoji"})

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\xa0"}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")


class HtmlParseError(ValueError):
    """The markup cannot be parsed; the message uses Telegram's wording."""


@dataclass(frozen=True)
class FormattedText:
    """Visible text plus Bot API ``MessageEntity`` dicts (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    start: int


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> FormattedText:
    """Parse ``source`` as Telegram HTML.

    Returns the text a reader sees and its entities; raises HtmlParseError (message worded
    like Telegram's, byte offsets in UTF-8) for unsupported or unbalanced tags.
    """
    parser = _Parser(source)
    parser.run()
    return FormattedText(parser.text(), sorted(parser.entities, key=_entity_order))


def _entity_order(entity: dict[str, Any]) -> tuple[int, int]:
    return entity["offset"], -entity["length"]


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def text(self) -> str:
        return "".join(self.out)

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def run(self) -> None:
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "<":
                if self.src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            elif char == "&":
                self.emit(self.entity())
            else:
                self.emit(char)
                self.pos += 1
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )

    def entity(self) -> str:
        match = _ENTITY_RE.match(self.src, self.pos)
        if match is None:
            self.pos += 1
            return "&"
        name = match.group(1)
        if name.startswith("#"):
            number = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            decoded = chr(number) if 0 < number <= 0x10FFFF else None
        else:
            decoded = _NAMED_ENTITIES.get(name)
        if decoded is None:
            # Unknown entities stay literal, as Telegram leaves them.
            self.pos += 1
            return "&"
        self.pos = match.end()
        return decoded

    def start_tag(self) -> None:
        begin = self.pos
        cursor = begin + 1
        while cursor < len(self.src) and not self.src[cursor].isspace() and self.src[cursor] != ">":
            cursor += 1
        if cursor >= len(self.src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 1 : cursor].lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        attrs, self.pos = self.attributes(tag, begin, cursor)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        if tag == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                f"{self.byte_offset(begin)}"
            )
        self.stack.append(_Open(tag, attrs, self.offset))

    def attributes(self, tag: str, begin: int, cursor: int) -> tuple[dict[str, str], int]:
        attrs: dict[str, str] = {}
        src = self.src
        while True:
            while cursor < len(src) and src[cursor].isspace():
                cursor += 1
            if cursor >= len(src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[cursor] == ">":
                return attrs, cursor + 1
            name_match = _ATTR_NAME_RE.match(src, cursor)
            if name_match is None:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(cursor)}"
                )
            name = name_match.group().lower()
            cursor = name_match.end()
            while cursor < len(src) and src[cursor].isspace():
                cursor += 1
            if cursor < len(src) and src[cursor] == "=":
                value, cursor = self.attribute_value(tag, cursor + 1)
            else:
                value = ""
            attrs[name] = value

    def attribute_value(self, tag: str, cursor: int) -> tuple[str, int]:
        src = self.src
        while cursor < len(src) and src[cursor].isspace():
            cursor += 1
        if cursor < len(src) and src[cursor] in "\"'":
            close = src.find(src[cursor], cursor + 1)
            if close < 0:
                raise HtmlParseError(
                    f'Unclosed end of an attribute value in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(cursor)}"
                )
            raw, cursor = src[cursor + 1 : close], close + 1
        else:
            start = cursor
            while cursor < len(src) and not src[cursor].isspace() and src[cursor] != ">":
                cursor += 1
            raw = src[start:cursor]
        return _decode_entities(raw), cursor

    def end_tag(self) -> None:
        begin = self.pos
        close = self.src.find(">", begin)
        if close < 0:
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 2 : close].strip().lower()
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if tag != top.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.tag}>", found "</{tag}>"'
            )
        self.stack.pop()
        self.pos = close + 1
        self.close_entity(top)

    def close_entity(self, opened: _Open) -> None:
        length = self.offset - opened.start
        language = opened.attrs.get("class", "")
        inside_pre = bool(self.stack) and self.stack[-1].tag == "pre"
        if opened.tag == "code" and inside_pre and language.startswith("language-"):
            # <pre><code class="language-x"> is one pre entity with a language.
            self.stack[-1].attrs["language"] = language.removeprefix("language-")
            return
        if length == 0:
            return
        entity: dict[str, Any] = {"offset": opened.start, "length": length}
        if opened.tag in _SIMPLE_TAGS:
            entity["type"] = _SIMPLE_TAGS[opened.tag]
            if opened.tag == "pre" and opened.attrs.get("language"):
                entity["language"] = opened.attrs["language"]
            if opened.tag == "blockquote" and "expandable" in opened.attrs:
                entity["type"] = "expandable_blockquote"
        elif opened.tag == "span":
            entity["type"] = "spoiler"
        elif opened.tag == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = opened.attrs["emoji-id"]
        elif opened.tag == "a":
            href = opened.attrs.get("href", "")
            if not href:
                return
            entity["type"] = "text_link"
            entity["url"] = href
        self.entities.append(entity)


def _decode_entities(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#"):
            number = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(number) if 0 < number <= 0x10FFFF else match.group()
        return _NAMED_ENTITIES.get(name, match.group())

    return _ENTITY_RE.sub(replace, raw)

"""The optional check against a published ``api.json`` description of the Bot API.

The file (``../shared/telegram-bot-api/api.json`` beside the repository) lists every method
and type with its fields; when present, each request must also pass it: known method, no
unknown or missing fields, each value of a listed type (nested objects such as reply_markup
field by field, arrays element by element), and within the length limits the descriptions
state ("1-4096 characters", "1-64 bytes"), text measured after entity parsing where the
description says so.  When the file is absent, nothing is checked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standin.errors import ApiError, bad_request, not_found
from standin.html import HtmlParseError, parse_html, utf16_len
from standin.model import Upload
from standin.schema import missing_wording

DEFAULT_API_JSON = Path(__file__).resolve().parents[2] / "shared" / "telegram-bot-api" / "api.json"

_LIMIT_RE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_CONSTANT_RE = re.compile(r"\bmust be ([a-z_]+)$")
_EXACTLY_ONE_RE = re.compile(r"Exactly one of the fields other than (.+?) must be used")
# Telegram's own wording for the limits the bot is most likely to meet.
_TOO_LONG = {"text": "message is too long", "caption": "message caption is too long"}


@dataclass(frozen=True)
class Field:
    """One field of a method or type: its accepted types and what its description limits."""

    name: str
    types: tuple[str, ...]
    required: bool
    limit: tuple[int, int, str] | None
    after_parsing: bool
    constant: str | None

    @classmethod
    def read(cls, entry: Mapping[str, Any]) -> Field:
        description = str(entry.get("description", ""))
        limit = _LIMIT_RE.search(description)
        constant = _CONSTANT_RE.search(description)
        return cls(
            name=str(entry["name"]),
            types=tuple(entry.get("types", ())),
            required=bool(entry.get("required")),
            limit=(int(limit.group(1)), int(limit.group(2)), limit.group(3)) if limit else None,
            after_parsing="after entities parsing" in description,
            constant=constant.group(1) if constant else None,
        )


@dataclass(frozen=True)
class ObjectType:
    """A Bot API type: its fields, or the subtypes it stands for."""

    fields: dict[str, Field]
    subtypes: tuple[str, ...]
    exactly_one_besides: frozenset[str] | None


@dataclass(frozen=True)
class ApiJsonSchema:
    """Methods and types read from a published ``api.json`` description of the API."""

    version: str
    methods: dict[str, dict[str, Field]]
    types: dict[str, ObjectType]

    def check(self, method: str, params: Mapping[str, Any]) -> None:
        """Raise ApiError unless Telegram would accept ``params`` (normalised) for ``method``."""
        if method not in self.methods:
            raise not_found()
        fields = self.methods[method]
        unknown = sorted(set(params) - set(fields))
        if unknown:
            raise bad_request(f'unknown parameter "{unknown[0]}" for method {method}')
        missing = sorted(name for name, f in fields.items() if f.required and name not in params)
        if missing:
            raise bad_request(missing_wording(missing[0]))
        for name, value in params.items():
            self._check_field(fields[name], value, name, params)

    def _check_field(self, field: Field, value: Any, path: str, owner: Mapping[str, Any]) -> None:
        errors: list[ApiError] = []
        for kind in self._candidates(field.types, value):
            try:
                self._check_value(kind, value, path)
                break
            except ApiError as error:
                errors.append(error)
        else:
            if len(errors) == 1:
                raise errors[0]
            raise bad_request(f"can't parse {path}: not any of {', '.join(field.types)}")
        if field.constant is not None and value != field.constant:
            raise bad_request(f"{path} must be {field.constant}")
        if field.limit is not None and isinstance(value, str):
            _check_length(field, value, path, owner)

    def _candidates(self, kinds: tuple[str, ...], value: Any) -> tuple[str, ...]:
        """The one object type whose field names fit ``value``'s keys, if exactly one does,
        so its own refusal (say, BUTTON_DATA_INVALID) is reported; else every kind."""
        if not isinstance(value, dict) or len(kinds) < 2:
            return kinds
        fitting = tuple(
            kind
            for kind in kinds
            if (spec := self.types.get(kind)) is not None
            and not spec.subtypes
            and set(value) <= set(spec.fields)
        )
        return fitting if len(fitting) == 1 else kinds

    def _check_value(self, kind: str, value: Any, path: str) -> None:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                raise bad_request(f"can't parse {path}: expected an Array")
            for index, item in enumerate(value):
                self._check_value(kind.removeprefix("Array of "), item, f"{path}[{index}]")
            return
        if kind in _PRIMITIVES:
            if not _PRIMITIVES[kind](value):
                raise bad_request(f"can't parse {path}: expected {kind}")
            return
        if kind == "InputFile":
            if not isinstance(value, Upload):
                raise bad_request(f"can't parse {path}: expected InputFile")
            return
        spec = self.types.get(kind)
        if spec is None:
            return  # a type the file does not describe: nothing to check against
        if spec.subtypes:
            self._check_subtypes(spec.subtypes, value, path)
            return
        self._check_object(kind, spec, value, path)

    def _check_subtypes(self, subtypes: tuple[str, ...], value: Any, path: str) -> None:
        for subtype in subtypes:
            try:
                self._check_value(subtype, value, path)
                return
            except ApiError:
                continue
        raise bad_request(f"can't parse {path}: not any of {', '.join(subtypes)}")

    def _check_object(self, kind: str, spec: ObjectType, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise bad_request(f"can't parse {path}: expected a {kind} object")
        unknown = sorted(set(value) - set(spec.fields))
        if unknown:
            raise bad_request(f'can\'t parse {path}: unknown field "{unknown[0]}" in {kind}')
        for name, field in spec.fields.items():
            if field.required and name not in value:
                raise bad_request(f"can't parse {path}: {kind} needs {name}")
        for name, item in value.items():
            self._check_field(spec.fields[name], item, f"{path}.{name}", value)
        if spec.exactly_one_besides is not None:
            chosen = set(value) - spec.exactly_one_besides
            if len(chosen) != 1:
                raise bad_request(f"can't parse {path}: {kind} needs exactly one action")


def _check_length(field: Field, value: str, path: str, owner: Mapping[str, Any]) -> None:
    low, high, unit = field.limit or (0, 0, "")
    if unit == "bytes":
        size = len(value.encode("utf-8"))
    else:
        size = utf16_len(_visible(value, owner) if field.after_parsing else value)
    if low <= size <= high:
        return
    if path == "reply_markup" or path.endswith(".callback_data"):
        raise bad_request("BUTTON_DATA_INVALID")
    if size > high and field.after_parsing and path in _TOO_LONG:
        raise bad_request(_TOO_LONG[path])
    if size < low and path == "text":
        raise bad_request("message text is empty")
    raise bad_request(f"{path} must be {low}-{high} {unit}, not {size}")


def _visible(value: str, owner: Mapping[str, Any]) -> str:
    """The text a reader sees: HTML markup parsed away when the request asks for it."""
    if str(owner.get("parse_mode", "")).lower() != "html":
        return value
    try:
        return parse_html(value).text
    except HtmlParseError:
        return value  # the method's own check words this refusal


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    # The built-in table reads getUpdates' timeout as a Float (PTB may send "10.0").
    return _is_int(value) or (isinstance(value, float) and value.is_integer())


_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": _is_whole,
    "Float": lambda value: _is_int(value) or isinstance(value, float),
    "String": lambda value: isinstance(value, str),
    "Boolean": lambda value: isinstance(value, bool),
    "True": lambda value: value is True,
}


def load_api_json(path: Path | None) -> ApiJsonSchema | None:
    """Read ``path`` if it exists; None when there is no such file (the check is skipped)."""
    if path is None or not path.is_file():
        return None
    return _load(path.resolve(), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime: int) -> ApiJsonSchema:
    # Every World reads the file; cached per path and modification time (it is ~1 MB).
    document = json.loads(path.read_text(encoding="utf-8"))
    methods = {
        name: {entry["name"]: Field.read(entry) for entry in spec.get("fields", [])}
        for name, spec in document.get("methods", {}).items()
    }
    types = {name: _object_type(spec) for name, spec in document.get("types", {}).items()}
    return ApiJsonSchema(str(document.get("version", "")), methods, types)


def _object_type(spec: Mapping[str, Any]) -> ObjectType:
    description = " ".join(spec.get("description", []))
    exactly_one = _EXACTLY_ONE_RE.search(description)
    besides = None
    if exactly_one:
        besides = frozenset(re.findall(r"[a-z_]+", exactly_one.group(1))) - {"and", "or"}
    return ObjectType(
        fields={entry["name"]: Field.read(entry) for entry in spec.get("fields", [])},
        subtypes=tuple(spec.get("subtypes", ())),
        exactly_one_besides=besides,
    )

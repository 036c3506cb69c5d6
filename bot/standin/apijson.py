"""The optional check against a published ``api.json`` description of the Bot API.

The file (``../shared/telegram-bot-api/api.json`` beside the repository) lists every method
with its fields; when present, each request must also pass it.  When absent, nothing happens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.standin.errors import bad_request, not_found
from bot.standin.schema import missing_wording

DEFAULT_API_JSON = Path(__file__).resolve().parents[3] / "shared" / "telegram-bot-api" / "api.json"


@dataclass(frozen=True)
class ApiJsonSchema:
    """Method names and fields read from a published ``api.json`` description of the API."""

    version: str
    fields: dict[str, frozenset[str]]
    required: dict[str, frozenset[str]]

    def check(self, method: str, params: Mapping[str, Any]) -> None:
        """Raise ApiError if ``method`` or any parameter is unknown, or a required one missing."""
        if method not in self.fields:
            raise not_found()
        unknown = sorted(set(params) - self.fields[method])
        if unknown:
            raise bad_request(f'unknown parameter "{unknown[0]}" for method {method}')
        missing = sorted(self.required[method] - set(params))
        if missing:
            raise bad_request(missing_wording(missing[0]))


def load_api_json(path: Path | None) -> ApiJsonSchema | None:
    """Read ``path`` if it exists; None when there is no such file (the check is skipped)."""
    if path is None or not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    fields: dict[str, frozenset[str]] = {}
    required: dict[str, frozenset[str]] = {}
    for name, spec in document.get("methods", {}).items():
        entries = spec.get("fields", [])
        fields[name] = frozenset(entry["name"] for entry in entries)
        required[name] = frozenset(entry["name"] for entry in entries if entry.get("required"))
    return ApiJsonSchema(str(document.get("version", "")), fields, required)

"""The locale catalogs: every sentence a user reads, in Chinese and English.

Catalog values are HTML (Telegram's HTML parse mode). Parameters are escaped when they are
filled in, so a shop owner's text can never break a message; wrap ready-made HTML in
``Raw`` to insert it as it is.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.config import LOCALES

CATALOG_DIR = Path(__file__).parent.parent / "locales"


class Raw(str):
    """HTML that is inserted into a catalog sentence without escaping."""


@cache
def load_catalog(locale: str) -> dict[str, str]:
    data = yaml.safe_load((CATALOG_DIR / f"{locale}.yaml").read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields a catalog sentence expects."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def t(locale: str, key: str, /, **params: Any) -> str:
    """The sentence ``key`` in ``locale`` with ``params`` filled in (escaped unless Raw)."""
    catalog = load_catalog(locale if locale in LOCALES else "zh")
    template = catalog[key]
    safe = {
        name: value if isinstance(value, Raw) else html.escape(str(value), quote=False)
        for name, value in params.items()
    }
    return template.format_map(safe)


def tn(locale: str, key: str, count: int, /, **params: Any) -> str:
    """``key.one`` for a count of 1, else ``key.other``, with ``count`` filled in: English
    says "1 minute" and "2 minutes"; Chinese has one form (both keys hold it)."""
    return t(locale, f"{key}.one" if count == 1 else f"{key}.other", count=count, **params)


def joined(locale: str, items: Iterable[str]) -> str:
    """A list as the language writes it: 甲、乙、丙 / a, b, c (items are escaped)."""
    separator = load_catalog(locale if locale in LOCALES else "zh")["list.separator"]
    return separator.join(html.escape(str(item), quote=False) for item in items)


def locale_of_language_code(language_code: str | None, default: str) -> str:
    """A locale for a private chat from Telegram's language code.

    Telegram has no official Simplified Chinese interface, so many Chinese users' apps
    report ``en``; group chats therefore use the group's configured language instead.
    """
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return default

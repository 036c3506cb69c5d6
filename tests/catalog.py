"""Catalog sentences as a chat shows them, for assertions where the wording is not the point.

A test that checks *which* message arrived names its catalog key: the translators may then
reword a sentence without breaking a test about the workflow.
"""

from __future__ import annotations

from typing import Any

from bot.core.i18n import t, tn
from standin.html import parse_html


def shown(locale: str, key: str, /, **params: Any) -> str:
    """The sentence ``key`` as a reader sees it: its Telegram HTML turned into text."""
    return parse_html(t(locale, key, **params)).text


def shown_n(locale: str, key: str, count: int, /, **params: Any) -> str:
    """The plural sentence ``key`` for ``count`` as a reader sees it."""
    return parse_html(tn(locale, key, count, **params)).text

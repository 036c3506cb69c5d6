"""Catalog sentences as a chat shows them, for assertions where the wording is not the point.

A test that checks *which* message arrived names its catalog key: the translators may then
reword a sentence without breaking a test about the workflow.
"""

from __future__ import annotations

import re
import string
from typing import Any

from bot.core.i18n import load_catalog, t, tn
from standin.html import parse_html


def shown(locale: str, key: str, /, **params: Any) -> str:
    """The sentence ``key`` as a reader sees it: its Telegram HTML turned into text."""
    return parse_html(t(locale, key, **params)).text


def shown_n(locale: str, key: str, count: int, /, **params: Any) -> str:
    """The plural sentence ``key`` for ``count`` as a reader sees it."""
    return parse_html(tn(locale, key, count, **params)).text


def pattern(locale: str, key: str, /, **known: str | re.Pattern[str]) -> re.Pattern[str]:
    """Sentence ``key`` as shown, with the ``known`` parameters (text, or a pattern of their
    own) in place and any other parameter matching any text: for a sentence whose other
    values (a time, a distance) the test does not fix."""
    template = parse_html(load_catalog(locale)[key]).text
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is None:
            continue
        value = known.get(field)
        if value is None:
            parts.append(".*?")
        elif isinstance(value, re.Pattern):
            parts.append(f"(?:{value.pattern})")
        else:
            parts.append(re.escape(value))
    return re.compile("".join(parts), re.DOTALL)

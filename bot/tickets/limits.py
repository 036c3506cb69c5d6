"""A rectification notice's time limit as people read it: 2小时 / 2 hours, 3天 / 3 days."""

from __future__ import annotations

from datetime import timedelta

from bot.core.i18n import tn

DAY, HOUR, MINUTE = 86400, 3600, 60


def limit_text(seconds: int, locale: str) -> str:
    """A limit in its largest whole unit: 3 days rather than 72 hours, 90 min as is."""
    if seconds >= DAY and seconds % DAY == 0:
        return tn(locale, "duration.days", seconds // DAY)
    if seconds >= HOUR and seconds % HOUR == 0:
        return tn(locale, "duration.limit_hours", seconds // HOUR)
    return tn(locale, "duration.limit_minutes", max(1, round(seconds / MINUTE)))


def limit_seconds(limit: timedelta) -> int:
    return round(limit.total_seconds())

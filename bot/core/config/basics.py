"""The config's basic types: durations, opening hours, names in both languages, a strict
model base, locations and GeoJSON checks, proxy URLs, the bot token."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
)

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"


Locale = Literal["zh", "en"]


LOCALES: tuple[Locale, ...] = ("zh", "en")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")


_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> timedelta:
    """Read ``90s``, ``5m``, ``2h``, ``1d`` (or a number of seconds) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    raise ValueError(f"not a duration: {value!r} (write it like 90s, 5m, 2h or 1d)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    """Base for every section: unknown keys are mistakes, not extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(Strict):
    """A name in both catalog languages."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_hours(value: str) -> tuple[int, int]:
    """``08:00-20:00`` as minutes after midnight (start, end); end <= start crosses midnight."""
    match = _HOURS.match(value.strip())
    if not match:
        raise ValueError(f"hours must look like 08:00-20:00, not {value!r}")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if end > 24 * 60 or start == end:
        raise ValueError(f"empty or impossible hours {value!r}")
    return start, end


def day_spans(hours: list[str]) -> list[tuple[int, int]]:
    """Hours of one day as minute spans of ``[0, 2880)``; a span past 1440 crosses midnight."""
    spans = []
    for value in hours:
        start, end = parse_hours(value)
        spans.append((start, end if end > start else end + 1440))
    return spans


class Location(Strict):
    """A point in WGS-84 degrees, as Telegram sends it."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy_url(url: str) -> str:
    """Raise ValueError unless ``url`` is an http, https, socks5 or socks5h proxy URL with a
    host and a port; the message never quotes the URL, which may hold a password."""
    example = "e.g. socks5://127.0.0.1:1080 or http://user:password@10.0.0.2:3128"
    if "://" not in url:
        raise ValueError(f"write the proxy as scheme://host:port, {example}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"not a URL with a host and a numeric port, {example}") from None
    if parts.scheme not in PROXY_SCHEMES:
        raise ValueError(
            f"the proxy's scheme must be one of {', '.join(PROXY_SCHEMES)}"
            f" (got {parts.scheme or 'none'}), {example}"
        )
    if not parts.hostname or port is None:
        raise ValueError(f"give the proxy's host and port, e.g. {parts.scheme}://127.0.0.1:1080")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("a proxy URL is scheme://[user:password@]host:port, with no path")
    return url.strip()


def redacted_url(url: str) -> str:
    """``url`` with any password shown as ``***``, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def check_geometry(geometry: dict[str, Any]) -> None:
    """Raise ValueError unless ``geometry`` is a GeoJSON (Multi)Polygon in WGS-84 degrees."""
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon" and isinstance(coords, list):
        polygons = coords
    else:
        raise ValueError("polygon must be a GeoJSON Polygon or MultiPolygon")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("a polygon needs at least one ring")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError("each ring needs at least 4 [longitude, latitude] positions")
            for position in ring:
                if not (isinstance(position, list) and len(position) >= 2):
                    raise ValueError("a position is [longitude, latitude]")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError(f"position {position} is not WGS-84 [longitude, latitude]")
            if ring[0][:2] != ring[-1][:2]:
                raise ValueError("a ring must end where it starts")


def bot_token() -> SecretStr | None:
    """The bot token from the environment, or None when it is not set."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    return SecretStr(value) if value else None


def _unique(section: str, keys: list[Any]) -> None:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{section}: {key!r} appears twice")
        seen.add(key)

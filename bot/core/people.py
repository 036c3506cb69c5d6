"""Plain descriptions of who did something and where, free of any chat platform."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Spot:
    """A reported point, with the venue's name when the reporter picked a place."""

    latitude: float
    longitude: float
    venue_title: str | None = None
    venue_address: str | None = None

    @property
    def valid(self) -> bool:
        return (
            math.isfinite(self.latitude)
            and math.isfinite(self.longitude)
            and -90 <= self.latitude <= 90
            and -180 <= self.longitude <= 180
        )


@dataclass(frozen=True)
class Answer:
    """The short reply to a button press (a toast, or a popup when ``alert``)."""

    text: str
    alert: bool = False
    # A catalog key for the handler to render in the chat's language, when the domain does
    # not know it (the button's ticket or report is gone): see ``ROW_GONE``.
    key: str = ""


# A press on a button whose ticket or report does not exist (crafted, or from another database).
ROW_GONE = Answer("", alert=True, key="button.stale")

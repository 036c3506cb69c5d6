"""``/points``: the designated vending points nearest to a location, open now.

Stateless but for the outbox: in a group the location must reply to the bot's prompt
(which the outbox knows by its message id); in private, a location with no report under way
answers the prompt sent there within ``intake.report_timeout``.
"""

from __future__ import annotations

from datetime import datetime

from bot.core import notices
from bot.core.clock import Clock
from bot.core.directory import Directory
from bot.core.i18n import Raw, locale_of_language_code, t
from bot.core.people import Person, Spot
from bot.core.vending_points import PointNearby, distance_text, nearest_points, next_opening
from bot.delivery.outbox import Outbox
from storage import drafts as draft_rows
from storage import outbox as outbox_rows
from storage.database import Connection, Database

PROMPT = "points_prompt"
ANSWER = "points"


def point_line(nearby: PointNearby, locale: str) -> str:
    """One point as a line: name, distance, direction, capacity."""
    key = "points.line_capacity" if nearby.point.capacity else "points.line"
    return t(
        locale,
        key,
        name=nearby.point.name.get(locale),
        distance=Raw(distance_text(nearby.distance_m, locale)),
        direction=t(locale, f"compass.{nearby.compass}"),
        capacity=nearby.point.capacity or 0,
    )


class Points:
    def __init__(self, db: Database, directory: Directory, outbox: Outbox, clock: Clock) -> None:
        self.db = db
        self.directory = directory
        self.outbox = outbox
        self.clock = clock

    def _locale(self, chat_id: int, person: Person) -> str:
        if chat_id in self.directory.groups:
            return self.directory.group_locale(chat_id)
        return locale_of_language_code(person.language_code, self.directory.settings.locale)

    async def ask(self, chat_id: int, person: Person, message_id: int, *, private: bool) -> None:
        """``/points``: ask for the location (a forced reply in a group, a keyboard in private)."""
        locale = self._locale(chat_id, person)
        if not self.directory.settings.vending_points:
            body = t(locale, "points.none_configured")
            await self.outbox.send(
                notices.text(chat_id, body, ANSWER, reply_to_message_id=message_id)
            )
            return
        placeholder = t(locale, "report.ask_location_placeholder")
        if private:
            body = t(locale, "points.ask_private")
            markup = notices.ask_location(t(locale, "button.send_location"), placeholder)
        else:
            body = t(locale, "points.ask_group", name=person.name)
            markup = notices.force_reply(placeholder)
        await self.outbox.send(
            notices.text(chat_id, body, PROMPT, markup, reply_to_message_id=message_id)
        )

    async def answer_location(
        self,
        chat_id: int,
        person: Person,
        message_id: int,
        spot: Spot,
        *,
        replied_to: int | None,
        private: bool,
    ) -> bool:
        """Answer a location meant for ``/points``; False when it is not (a report's, say)."""
        async with self.db.transaction() as conn:
            if not await self._asked(conn, chat_id, person, replied_to, private=private):
                return False
            locale = self._locale(chat_id, person)
            body = self.nearest_text(spot, locale, self.clock.now())
            markup = {"remove": True} if private else None
            await self.outbox.put(
                conn, notices.text(chat_id, body, ANSWER, markup, reply_to_message_id=message_id)
            )
        return True

    async def _asked(
        self,
        conn: Connection,
        chat_id: int,
        person: Person,
        replied_to: int | None,
        *,
        private: bool,
    ) -> bool:
        if (
            replied_to is not None
            and await outbox_rows.purpose_of_message(conn, chat_id, replied_to) == PROMPT
        ):
            return True
        if not private:
            return False
        draft = await draft_rows.open_draft(conn, chat_id, person.id)
        if draft is not None and draft.is_open:
            return False  # a report under way takes its location first
        asked = await outbox_rows.last_written_for(conn, chat_id, PROMPT)
        timeout = self.directory.settings.intake.report_timeout
        return asked is not None and self.clock.now() - asked <= timeout

    def nearest_text(self, spot: Spot, locale: str, now: datetime) -> str:
        """The three nearest points open now, or when the nearest one opens."""
        if not spot.valid:
            return t(locale, "points.bad_location")
        local = now.astimezone(self.directory.settings.zone)
        points = list(self.directory.settings.vending_points)
        found = nearest_points(points, spot.latitude, spot.longitude, local)
        if found:
            lines = "\n".join(point_line(n, locale) for n in found)
            return t(locale, "points.nearest", lines=Raw(lines))
        nearest = nearest_points(points, spot.latitude, spot.longitude, local, open_only=False)[0]
        opens = next_opening(nearest.point, local)
        same_day = opens.date() == local.date()
        key = "points.none_open_today" if same_day else "points.none_open_tomorrow"
        return t(
            locale,
            key,
            point=Raw(point_line(nearest, locale)),
            time=opens.strftime("%H:%M"),
        )

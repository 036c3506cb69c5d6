"""A report's location step: the pin (or venue) placed in a grid, or refused politely."""

from __future__ import annotations

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.i18n import Raw, joined, t
from bot.core.notices import Button, Markup
from bot.core.people import Person, Spot
from bot.reporting.drafts import DraftDesk, _clip, _distance_text
from storage import drafts as draft_rows
from storage.database import Connection
from storage.drafts import Draft

CATEGORY_COLUMNS = 2


class LocationStep(DraftDesk):
    # -- location ---------------------------------------------------------------------------

    async def receive_location(
        self, chat_id: int, person: Person, message_id: int, spot: Spot, *, private: bool
    ) -> None:
        """A location (or venue) from a reporter: place it in a grid, then ask the category."""
        async with self.db.transaction() as conn:
            draft = await self._expire_if_due(
                conn, await draft_rows.open_draft(conn, chat_id, person.id)
            )
            if draft is not None and not draft.is_open:
                draft = None
            if draft is None and private:
                await self._say(conn, chat_id, "report.private_needs_link", message_id, person)
                return
            if draft is None:
                if await draft_rows.location_used(conn, chat_id, message_id):
                    return  # a repeated update whose report has moved on (or ended)
                # The bot sees plain location messages only as a group admin or with
                # privacy mode off: then a location alone starts a report.
                draft = await self._new_draft(
                    conn,
                    f"g:{chat_id}:{message_id}",
                    chat_id,
                    chat_id,
                    person,
                    private=False,
                    message_id=message_id,
                )
                if draft is None:
                    return
            if draft.stage != "location":
                if draft.location_message_id != message_id:
                    await self._say(conn, chat_id, "report.location_already", message_id, draft)
                return
            await self._place(conn, draft, message_id, spot)

    async def _place(self, conn: Connection, draft: Draft, message_id: int, spot: Spot) -> None:
        locale = draft.user_locale
        placement = self.directory.place(spot.latitude, spot.longitude) if spot.valid else None
        if placement is None:
            await self._refuse_outside(conn, draft, message_id, spot)
            return
        now = self.clock.now()
        moved = await draft_rows.advance_draft(
            conn,
            draft.id,
            "location",
            stage="category",
            latitude=spot.latitude,
            longitude=spot.longitude,
            venue_title=_clip(spot.venue_title, 120),
            venue_address=_clip(spot.venue_address, 200),
            location_message_id=message_id,
            grid_id=placement.grid_id,
            expires_at=now + self.timeout,
        )
        if not moved:
            return
        key = "report.ask_category" if placement.inside else "report.ask_category_near"
        body = t(
            locale,
            key,
            grid=self.directory.grid_name(placement.grid_id, locale),
            distance=round(placement.distance_m),
        )
        panel = notices.text(
            draft.chat_id,
            body,
            "panel",
            self._category_keyboard(draft, locale),
            reply_to_message_id=message_id,
        )
        await draft_rows.set_draft(
            conn, draft.id, panel_outbox_id=await self.outbox.put(conn, panel)
        )

    async def _refuse_outside(
        self, conn: Connection, draft: Draft, message_id: int, spot: Spot
    ) -> None:
        locale = draft.user_locale
        area = self.directory.settings.district.name.get(locale)
        covered = Raw(
            joined(locale, (self.directory.grid_name(g, locale) for g in self.directory.grids))
        )
        nearest = self.directory.nearest(spot.latitude, spot.longitude) if spot.valid else None
        if nearest is None:
            body = t(locale, "report.bad_location", area=area, grids=covered)
        else:
            body = t(
                locale,
                "report.outside",
                area=area,
                grids=covered,
                nearest=self.directory.grid_name(nearest.grid_id, locale),
                distance=_distance_text(nearest.distance_m, locale),
            )
        await self._reply(conn, draft.chat_id, body, message_id, "refusal", self._ask_again(draft))

    def _ask_again(
        self, draft: Draft, key: str = "report.ask_location_placeholder"
    ) -> Markup | None:
        """In a group, a refusal asks for a forced reply: in privacy mode the bot sees the
        next message only if it replies to the bot. In private it sees everything."""
        return None if draft.private else notices.force_reply(t(draft.user_locale, key))

    def _category_keyboard(self, draft: Draft, locale: str) -> notices.Markup:
        row: list[Button] = []
        rows: list[list[Button]] = []
        for category in self.directory.settings.categories:
            row.append(
                Button(
                    category.name.get(locale),
                    buttons.encode(Press.CATEGORY, draft.id, category.code),
                )
            )
            if len(row) == CATEGORY_COLUMNS:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        rows.append([Button(t(locale, "button.cancel"), buttons.encode(Press.CANCEL, draft.id))])
        return notices.inline(rows)

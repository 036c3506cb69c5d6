"""The inbox: every update fetched from Telegram is kept in the database until handled.

python-telegram-bot confirms a batch of updates to Telegram (by the offset of its next
getUpdates call) as soon as it has queued them, not once they are handled; a crash in between
would lose them, since Telegram never delivers a confirmed update again. So each fetched batch
is written here, in one transaction, before it is handed on and can be confirmed, and the
updates still here at start-up are handled then.

Marking each update handled would cost a write per update on the intake path. Instead the
handled ids are collected in memory and deleted in the transaction that keeps the next batch
(or at shut-down). After a crash the updates handled since the last batch are therefore
handled a second time; the handlers are idempotent for repeated updates (Telegram itself
repeats an update whose confirmation was lost), so that changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.core.clock import Clock
from storage import inbox as rows
from storage.database import Database
from storage.inbox import KeptUpdate

# Telegram keeps an unconfirmed update for 24 hours at most: a kept update older than that
# can no longer be delivered again, so it says nothing about where to resume. (Update ids
# only restart at random after a week without updates, so within a day they still ascend.)
TELEGRAM_KEEPS = timedelta(hours=24)


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._handled: set[int] = set()

    async def receive(self, updates: Sequence[tuple[int, str]]) -> None:
        """Keep a fetched batch of (update_id, raw JSON), and forget the updates handled
        since the last batch, in one transaction. Returns once the batch is committed."""
        handled, self._handled = self._handled, set()
        if not updates and not handled:
            return
        try:
            async with self.db.transaction() as conn:
                await rows.forget(conn, handled)
                await rows.keep(conn, updates, self.clock.now())
        except BaseException:
            self._handled |= handled
            raise

    async def waiting(self) -> int:
        """How many kept updates wait (the health check reads it; it also proves the
        database answers)."""
        async with self.db.snapshot() as conn:
            return await rows.count(conn)

    def handled(self, update_id: int) -> None:
        """The update has been handled; it leaves the database with the next write."""
        self._handled.add(update_id)

    async def set_aside(self, update_ids: Sequence[int]) -> None:
        """Keep updates that cannot be parsed for inspection, and never handle them."""
        async with self.db.transaction() as conn:
            await rows.set_aside(conn, update_ids)

    async def flush(self) -> None:
        """Forget the handled updates now (at shut-down)."""
        await self.receive(())

    async def unhandled(self) -> list[KeptUpdate]:
        """The kept updates not yet known to be handled, oldest first."""
        async with self.db.transaction() as conn:
            kept = await rows.kept(conn)
        return [update for update in kept if update.update_id not in self._handled]

    def resume_offset(self, kept: Sequence[KeptUpdate]) -> int | None:
        """The getUpdates offset past the kept updates, so that Telegram does not deliver
        again what is already here; None when nothing kept may still be pending there."""
        if not kept:
            return None
        newest = max(kept, key=lambda update: update.update_id)
        if self.clock.now() - newest.received_at > TELEGRAM_KEEPS:
            return None
        return newest.update_id + 1

"""Leases between workers: while a worker holds a chat's lease, no other worker handles
that chat's updates (``updates:<chat>``) or sends its outbox lane (``lane:<chat>``).

The holder renews the lease every third of its length while it works; a worker that dies
stops renewing, and its leases expire. Times come from the bot's clock: the workers' clocks
must agree (NTP) to well within a lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.core.clock import Clock
from bot.delivery.tasks import cancel_all
from storage import leases as rows
from storage.database import Database

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)


class Leases:
    def __init__(self, db: Database, clock: Clock, holder: str, ttl: timedelta = LEASE) -> None:
        self.db = db
        self.clock = clock
        self.holder = holder
        self.ttl = ttl

    async def take(self, name: str) -> bool:
        """Hold ``name`` (or hold it longer); False if another worker holds it."""
        async with self.db.transaction() as conn:
            return await rows.take(conn, name, self.holder, self.clock.now(), self.ttl)

    async def release(self, name: str) -> None:
        async with self.db.transaction() as conn:
            await rows.release(conn, name, self.holder)

    @asynccontextmanager
    async def holding(self, name: str) -> AsyncIterator[bool]:
        """Hold ``name`` for the block, renewed while it runs; yields False (and holds
        nothing) if another worker has it."""
        if not await self.take(name):
            yield False
            return
        renewing = asyncio.create_task(self._renew(name), name=f"griddesk-lease-{name}")
        try:
            yield True
        finally:
            await cancel_all([renewing])
            await self.release(name)

    async def _renew(self, name: str) -> None:
        while True:
            await asyncio.sleep(self.ttl.total_seconds() / 3)
            try:
                if not await self.take(name):
                    log.warning("lease %s was taken over by another worker", name)
                    return
            except Exception:
                log.exception("renewing lease %s failed; trying again", name)

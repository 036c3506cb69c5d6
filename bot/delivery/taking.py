"""Taking updates from the inbox chat by chat, when several workers share one database.

Behind a load balancer Telegram posts each update to whichever worker; that worker keeps
it in the inbox (unique by update_id) and answers 200. Updates are then taken chat by
chat: a worker holds the chat's lease while it handles the chat's kept updates in
update_id order, one at a time, deleting each once handled and renewing the lease as it
goes. So one chat's updates are handled in order and by one worker at a time, while other
chats are handled side by side, here and on the other workers. A worker that dies stops
renewing: its chats wait until their leases expire, then any worker takes them over.

The worker that kept an update tries its chat at once; every worker also looks for
waiting chats every ``poll`` (an update kept just as another worker let its lease go).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.core.clock import Clock
from bot.delivery.leasing import LEASE, Leases
from bot.delivery.tasks import cancel_all
from storage import inbox as rows
from storage.database import Database
from storage.inbox import KeptUpdate as KeptUpdate  # handlers name it through the domain

log = logging.getLogger(__name__)

BATCH = 20
POLL = timedelta(seconds=1)
WAITING_CHATS = 200

Handle = Callable[[KeptUpdate], Awaitable[bool]]


def worker_name() -> str:
    """This process's name in the leases table: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_name(chat_id: int | None) -> str:
    return f"updates:{'none' if chat_id is None else chat_id}"


class Taker:
    """``handle(update)`` runs one kept update's handlers; False means it cannot be read
    (it is set aside, never handled)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        handle: Handle,
        holder: str | None = None,
        lease: timedelta = LEASE,
        poll: timedelta = POLL,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handle = handle
        self.holder = holder or worker_name()
        self.leases = Leases(db, clock, self.holder, lease)
        self.poll = poll
        self._chats: dict[int | None, asyncio.Task[int]] = {}
        self._again: set[int | None] = set()
        self._task: asyncio.Task[None] | None = None

    async def receive(
        self, update_id: int, raw: str, chat_id: int | None, readable: bool = True
    ) -> bool:
        """Keep a posted update; returns once it is committed (then the webhook may answer
        200). False if it was kept before."""
        async with self.db.transaction() as conn:
            new = await rows.keep_posted(conn, update_id, raw, chat_id, self.clock.now())
            if new and not readable:
                await rows.set_aside(conn, [update_id])
        if new and readable:
            self.poke(chat_id)
        return new

    def poke(self, chat_id: int | None) -> None:
        """Handle the chat's kept updates here, unless another worker holds the chat."""
        task = self._chats.get(chat_id)
        if task is not None and not task.done():
            self._again.add(chat_id)
            return
        task = asyncio.create_task(self._take(chat_id), name=f"griddesk-updates-{chat_id}")
        self._chats[chat_id] = task
        task.add_done_callback(lambda done: self._ended(chat_id, done))

    def _ended(self, chat_id: int | None, task: asyncio.Task[int]) -> None:
        if self._chats.get(chat_id) is task:
            del self._chats[chat_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("updates of chat %s failed", chat_id, exc_info=task.exception())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="griddesk-taker")

    async def stop(self) -> None:
        await cancel_all([*self._chats.values(), *([self._task] if self._task else [])])
        self._task = None
        self._chats.clear()

    async def _run(self) -> None:
        while True:
            try:
                await self.look()
            except Exception:
                log.exception("looking for waiting updates failed; trying again shortly")
            await asyncio.sleep(self.poll.total_seconds())

    async def look(self) -> int:
        """Try every chat with kept updates that this worker is not handling already."""
        async with self.db.transaction() as conn:
            waiting = await rows.waiting_chats(conn, WAITING_CHATS)
        fresh = [chat for chat in waiting if chat not in self._chats]
        for chat_id in fresh:
            self.poke(chat_id)
        return len(fresh)

    async def settle(self) -> None:
        """Wait until this worker handles no chat (for tests and shut-down)."""
        while self._chats:
            await asyncio.gather(*self._chats.values(), return_exceptions=True)

    async def _take(self, chat_id: int | None) -> int:
        """Handle the chat's kept updates under its lease; return how many were handled."""
        done = 0
        while True:
            self._again.discard(chat_id)
            async with self.leases.holding(lease_name(chat_id)) as held:
                if not held:
                    return done  # another worker has the chat, and will see these too
                done += await self._drain(chat_id)
            # An update kept while the lease was being let go found the chat taken: look
            # again, now that it is free.
            async with self.db.transaction() as conn:
                more = await rows.next_of_chat(conn, chat_id, 1)
            if not more and chat_id not in self._again:
                return done

    async def _drain(self, chat_id: int | None) -> int:
        done = 0
        while True:
            async with self.db.transaction() as conn:
                batch = await rows.next_of_chat(conn, chat_id, BATCH)
            if not batch:
                return done
            for update in batch:
                try:
                    readable = await self.handle(update)
                except Exception:
                    log.exception("update %s failed; kept aside", update.update_id)
                    readable = False
                async with self.db.transaction() as conn:
                    if readable:
                        await rows.forget(conn, [update.update_id])
                    else:
                        await rows.set_aside(conn, [update.update_id])
                done += 1

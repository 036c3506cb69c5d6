"""The outbox sender: delivers what the domain wrote to the outbox table, and retries.

A notice is written in the same transaction as the change it reports, so a crash between
"ticket saved" and "card sent" leaves the card pending, and the sender sends it after the
restart. Each chat's notices go out in the order they were written; a reply waits for the
message it answers, an edit for the message it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.config import Outbox as OutboxSettings
from bot.notices import Notice
from storage import outbox as rows
from storage.database import Database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    message_id: int | None


@dataclass(frozen=True)
class RetryLater:
    reason: str
    after_seconds: float | None = None


@dataclass(frozen=True)
class Rejected:
    reason: str


@dataclass(frozen=True)
class TargetGone:
    """The message an edit aims at no longer exists (deleted, or too old)."""

    reason: str


Delivery = Delivered | RetryLater | Rejected | TargetGone


class Transport(Protocol):
    async def deliver(
        self, item: OutboxItem, reply_to_message_id: int | None, target_message_id: int | None
    ) -> Delivery:
        """Send one outbox item; never raises for Telegram's answers, only reports them."""
        ...


class Outbox:
    """Writes notices (inside the caller's transaction) and sends them afterwards."""

    def __init__(self, db: Database, clock: Clock, settings: OutboxSettings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.transport: Transport | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def put(self, conn: object, notice: Notice) -> int:
        """Write ``notice`` in the open transaction ``conn``; return its outbox id."""
        return await rows.enqueue(
            conn,  # type: ignore[arg-type]
            chat_id=notice.chat_id,
            kind=notice.kind,
            payload=notice.payload,
            purpose=notice.purpose,
            now=self.clock.now(),
            ticket_id=notice.ticket_id,
            reply_to_outbox_id=notice.reply_to_outbox_id,
            reply_to_message_id=notice.reply_to_message_id,
            target_outbox_id=notice.target_outbox_id,
        )

    async def send(self, notice: Notice) -> int:
        """Write one notice in a transaction of its own and wake the sender."""
        async with self.db.transaction() as conn:
            item_id = await self.put(conn, notice)
        self.wake()
        return item_id

    def wake(self) -> None:
        """Tell the sender that something new was committed."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="griddesk-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            progress = 0
            try:
                progress = await self.flush()
                async with self.db.transaction() as conn:
                    due = await rows.next_due(conn)
            except Exception:
                log.exception("outbox round failed; trying again shortly")
                due = None
            wait = 30.0
            if due is not None:
                wait = min(wait, max(0.0, (due - self.clock.now()).total_seconds()))
            if not progress:
                # Items can be due yet waiting for a message in another chat: poll gently.
                wait = max(wait, 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            self._wake.clear()

    async def flush(self, limit: int = 500) -> int:
        """Deliver every item due now; return how many were delivered or given up."""
        if self.transport is None:
            raise RuntimeError("the outbox has no transport yet")
        async with self._lock:
            async with self.db.transaction() as conn:
                due = await rows.due_items(conn, self.clock.now(), limit)
                refs = {i.reply_to_outbox_id for i in due if i.reply_to_outbox_id}
                refs |= {i.target_outbox_id for i in due if i.target_outbox_id}
                referenced = await rows.items_by_id(conn, {r for r in refs if r})
            by_chat: dict[int, list[OutboxItem]] = defaultdict(list)
            for item in due:
                by_chat[item.chat_id].append(item)
            # Chats are independent, so they go out side by side; within a chat, in order.
            done = await asyncio.gather(
                *(self._deliver_chat(items, referenced) for items in by_chat.values())
            )
            return sum(done)

    async def _deliver_chat(
        self, items: list[OutboxItem], referenced: dict[int, OutboxItem]
    ) -> int:
        done = 0
        for item in items:
            outcome = await self._deliver_one(item, referenced)
            if outcome is None:
                break
            done += 1
            if isinstance(outcome, OutboxItem):
                referenced[item.id] = outcome
        return done

    async def _deliver_one(
        self, item: OutboxItem, referenced: dict[int, OutboxItem]
    ) -> OutboxItem | bool | None:
        """Deliver and record one item; None means the chat must wait (order is kept)."""
        assert self.transport is not None
        reply_to = item.reply_to_message_id
        if item.reply_to_outbox_id:
            parent = referenced.get(item.reply_to_outbox_id)
            if parent is not None and parent.status == rows.PENDING:
                return None
            reply_to = parent.message_id if parent and parent.status == rows.SENT else None
        target_id: int | None = None
        target: OutboxItem | None = None
        if item.target_outbox_id:
            target = referenced.get(item.target_outbox_id)
            if target is not None and target.status == rows.PENDING:
                return None
            if target is None or target.message_id is None:
                await self._record(item, Rejected("the message to edit was never sent"))
                return True
            target_id = target.message_id
        try:
            delivery = await self.transport.deliver(item, reply_to, target_id)
        except Exception as exc:  # a transport bug must not stop the other chats
            log.exception("delivering outbox item %s failed", item.id)
            delivery = RetryLater(type(exc).__name__)
        if isinstance(delivery, TargetGone) and target is not None:
            delivery = await self._repost(item, target)
        return await self._record(item, delivery)

    async def _repost(self, edit: OutboxItem, target: OutboxItem) -> Delivery:
        """Send the edited content as a new message when the original is gone."""
        assert self.transport is not None
        payload = dict(target.payload)
        payload["markup"] = edit.payload.get("markup")
        if target.kind == "photo":
            payload["caption"] = edit.payload["text"]
        else:
            payload["text"] = edit.payload["text"]
        fresh = replace(edit, kind=target.kind, payload=payload, target_outbox_id=None)
        delivery = await self.transport.deliver(fresh, None, None)
        if isinstance(delivery, Delivered) and delivery.message_id is not None:
            async with self.db.transaction() as conn:
                await rows.repoint(conn, target.id, delivery.message_id)
        return delivery

    async def _record(self, item: OutboxItem, delivery: Delivery) -> OutboxItem | bool | None:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if isinstance(delivery, Delivered):
                await rows.mark_sent(conn, item.id, now, delivery.message_id)
                return replace(item, status=rows.SENT, message_id=delivery.message_id)
            if isinstance(delivery, RetryLater) and item.attempts + 1 < self.settings.max_attempts:
                await rows.mark_retry(
                    conn, item.id, now + self._backoff(item, delivery), delivery.reason
                )
                log.warning("outbox item %s will be retried: %s", item.id, delivery.reason)
                return None
            reason = getattr(delivery, "reason", "unknown")
            await rows.mark_failed(conn, item.id, reason)
            log.error("outbox item %s (%s) given up: %s", item.id, item.purpose, reason)
            return True

    def _backoff(self, item: OutboxItem, delivery: RetryLater) -> timedelta:
        exponential: timedelta = self.settings.retry_base * (2**item.attempts)
        wait: timedelta = min(exponential, self.settings.retry_max)
        if delivery.after_seconds is not None:
            wait = max(wait, timedelta(seconds=delivery.after_seconds))
        return wait

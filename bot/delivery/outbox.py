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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from bot.core.clock import Clock
from bot.core.config import Outbox as OutboxSettings
from bot.core.notices import Notice
from bot.delivery.leasing import Leases
from bot.delivery.pacing import Pacer, Priority, budget_of, priority_of
from bot.delivery.tasks import cancel_all
from storage import outbox as rows
from storage.database import Database
from storage.outbox import OutboxItem as OutboxItem  # handlers name it through the domain

log = logging.getLogger(__name__)

LANE_BATCH = 20
IDLE_RECHECK = timedelta(seconds=1)
# A quarter of a group's minute (five messages): beyond it a burst of cards has begun, and
# the map pins, which repeat the card's navigation link, would take the later cards' room.
PIN_PRESSURE = 0.25
OPTIONAL_DELAY = timedelta(seconds=5)


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


def _waits_for(item: OutboxItem, referenced: dict[int, OutboxItem]) -> bool:
    """A reply waits for the message it answers, an edit for the message it changes."""
    for ref in (item.reply_to_outbox_id, item.target_outbox_id):
        if ref and (other := referenced.get(ref)) is not None and other.status == rows.PENDING:
            return True
    return False


class Transport(Protocol):
    async def deliver(
        self, item: OutboxItem, reply_to_message_id: int | None, target_message_id: int | None
    ) -> Delivery:
        """Send one outbox item; never raises for Telegram's answers, only reports them."""
        ...


class Outbox:
    """Writes notices (inside the caller's transaction) and sends them afterwards.

    Each chat is a lane of its own: a task that sends that chat's items one at a time, most
    urgent first, and waits alone when its chat is out of budget, waiting out a
    ``retry_after`` or waiting on a slow answer. A dispatcher opens a lane for every chat
    with something due. The database is the truth: a lane keeps nothing that a restart
    would need.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: OutboxSettings,
        *,
        pacer: Pacer | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.pacer = pacer
        self.transport: Transport | None = None
        # Several workers on one database: a chat's lane is sent by the lease's holder only.
        self.leases: Leases | None = None
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lanes: dict[int, asyncio.Task[int]] = {}
        self._idle_until: dict[int, datetime] = {}
        self._inflight: set[int] = set()
        self._fresh: set[int] = set()  # chats with something committed since their lane read
        self._nudges: dict[int, asyncio.Event] = {}  # wakes a lane waiting for its budget

    async def put(self, conn: object, notice: Notice) -> int:
        """Write ``notice`` in the open transaction ``conn``; return its outbox id. The
        sender is woken when that transaction commits (never for one rolled back).

        An edit of a message that is still waiting to be sent is folded into it: the chat
        gets the message as it reads now, one request instead of two; a delete of such a
        message means it is never sent.
        """
        later = self._not_before(priority_of(notice.purpose)) is not None
        conn.after_commit(partial(self._committed_for, notice.chat_id, later))  # type: ignore[attr-defined]
        target = notice.target_outbox_id
        if (
            target is not None
            and notice.kind == "delete"
            and target not in self._inflight
            and await rows.cancel_pending(conn, target)  # type: ignore[arg-type]
        ):
            return target
        if (
            target is not None
            and notice.kind in ("edit_text", "edit_caption")
            and target not in self._inflight
            and await rows.fold_edit(
                conn,  # type: ignore[arg-type]
                target,
                notice.payload["text"],
                notice.payload.get("markup"),
            )
        ):
            return target
        priority = priority_of(notice.purpose)
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
            target_outbox_id=target,
            priority=int(priority),
            not_before=self._not_before(priority),
        )

    def _not_before(self, priority: Priority) -> datetime | None:
        """An optional message waits a moment when the outbox paces itself: by then the
        lane knows whether a burst has begun (the map pin would take a later card's place
        in the chat's minute)."""
        if self.pacer is None or priority < Priority.OPTIONAL:
            return None
        return self.clock.now() + OPTIONAL_DELAY

    async def send(self, notice: Notice) -> int:
        """Write one notice in a transaction of its own and wake the sender."""
        async with self.db.transaction() as conn:
            item_id = await self.put(conn, notice)
        return item_id

    def wake(self) -> None:
        """Tell the sender that something new was committed."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="griddesk-outbox")

    async def stop(self) -> None:
        await cancel_all([*self._lanes.values(), *([self._task] if self._task else [])])
        self._task = None
        self._lanes.clear()

    async def _run(self) -> None:
        while True:
            # Alone, a commit here wakes the sender; beside other workers, what they wrote
            # for a lane held here is found by looking again every second.
            wait = 30.0 if self.leases is None else 1.0
            try:
                now = self.clock.now()
                async with self.db.transaction() as conn:
                    chats = await rows.due_chats(conn, now)
                    retry = await rows.next_retry(conn, now)
                for chat_id in chats:
                    idle = self._idle_until.get(chat_id)
                    if idle is not None and idle > now:
                        # Its due items wait for something outside the chat: look again soon.
                        wait = min(wait, (idle - now).total_seconds())
                        continue
                    self._lane(chat_id)
                if retry is not None:
                    wait = min(wait, max(0.0, (retry - now).total_seconds()))
            except Exception:
                log.exception("outbox dispatch failed; trying again shortly")
                wait = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            self._wake.clear()

    def _lane(self, chat_id: int) -> asyncio.Task[int]:
        """The chat's running lane, or a new one."""
        task = self._lanes.get(chat_id)
        if task is None or task.done():
            task = asyncio.create_task(self._drain(chat_id), name=f"griddesk-lane-{chat_id}")
            self._lanes[chat_id] = task
            task.add_done_callback(lambda done: self._lane_ended(chat_id, done))
        return task

    def _lane_ended(self, chat_id: int, task: asyncio.Task[int]) -> None:
        if self._lanes.get(chat_id) is task:
            del self._lanes[chat_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox lane %s failed", chat_id, exc_info=task.exception())
        if chat_id in self._fresh:
            # Something was committed for this chat while the lane was finishing.
            self._wake.set()

    async def flush(self) -> int:
        """Deliver every item due now, every chat side by side; return how many were
        delivered or given up."""
        if self.transport is None:
            raise RuntimeError("the outbox has no transport yet")
        async with self.db.transaction() as conn:
            chats = await rows.due_chats(conn, self.clock.now())
        done = await asyncio.gather(*(self._lane(chat_id) for chat_id in chats))
        return sum(done)

    async def _drain(self, chat_id: int) -> int:
        """Send the chat's lane here, unless another worker holds it (several workers)."""
        if self.leases is None:
            return await self._send_lane(chat_id)
        async with self.leases.holding(f"lane:{chat_id}") as held:
            if not held:
                return 0
            if self.pacer is not None:
                # What the lane's last holder sent counts against the chat's budget here.
                async with self.db.transaction() as conn:
                    now = self.clock.now()
                    since = now - budget_of(chat_id).window
                    self.pacer.seed(chat_id, await rows.sent_since(conn, chat_id, since))
            return await self._send_lane(chat_id)

    async def _send_lane(self, chat_id: int) -> int:
        """Send one chat's due items until none is left; return how many were settled.

        The chat's queue is read again whenever something new was committed for the chat,
        so what someone is waiting for overtakes a queue of reminders read earlier.
        """
        if self.transport is None:
            raise RuntimeError("the outbox has no transport yet")
        done = 0
        due: list[OutboxItem] = []
        referenced: dict[int, OutboxItem] = {}
        while True:
            now = self.clock.now()
            if not due or chat_id in self._fresh:
                self._fresh.discard(chat_id)
                due, referenced = await self._read_lane(chat_id, now)
            item = next((i for i in due if not _waits_for(i, referenced)), None)
            if item is None:
                if due:
                    self._idle_until[chat_id] = now + IDLE_RECHECK
                return done
            self._idle_until.pop(chat_id, None)
            if self.pacer is not None:
                if item.priority >= Priority.OPTIONAL and await self._under_pressure(chat_id):
                    async with self.db.transaction() as conn:
                        await rows.mark_skipped(conn, item.id, "skipped: the chat was busy")
                    due.remove(item)
                    done += 1
                    continue
                delay = self.pacer.wait(chat_id, Priority(item.priority))
                if delay > 0:
                    await self._nap(chat_id, delay)
                    continue
                self.pacer.spend(chat_id)
            outcome = await self._deliver_one(item, referenced)
            if outcome is None:
                return done  # waits for a retry: the whole chat waits with it
            due.remove(item)
            if isinstance(outcome, OutboxItem):
                referenced[item.id] = outcome
            done += 1

    async def _nap(self, chat_id: int, seconds: float) -> None:
        """Wait for the chat's budget, or until something new is committed for the chat
        (it may be more urgent, and fit where the item being waited for did not)."""
        nudge = self._nudges.setdefault(chat_id, asyncio.Event())
        nudge.clear()
        waits = [asyncio.ensure_future(self._sleep(seconds)), asyncio.ensure_future(nudge.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            for waiting in waits:
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting

    def _committed_for(self, chat_id: int, later: bool = False) -> None:
        """After a commit that wrote for ``chat_id``: its running lane reads again, a lane
        waiting for its budget looks again, and a chat with no lane gets one at once (the
        dispatcher would find it too, a scan later)."""
        self._fresh.add(chat_id)
        nudge = self._nudges.get(chat_id)
        if nudge is not None:
            nudge.set()
        if self._task is None:
            self.wake()  # no sender running: whoever flushes, or a later start, will see it
            return
        idle = self._idle_until.get(chat_id)
        if idle is None or idle <= self.clock.now():
            self._lane(chat_id)
        else:
            later = True  # its lane waits on something elsewhere: the dispatcher looks again
        if later:
            self.wake()  # only the dispatcher will see an item written for later (a delayed pin)

    async def _read_lane(
        self, chat_id: int, now: datetime
    ) -> tuple[list[OutboxItem], dict[int, OutboxItem]]:
        """The chat's items due now, most urgent first, and the messages they refer to."""
        async with self.db.transaction() as conn:
            due, _ = await rows.due_in_chat(conn, chat_id, now, LANE_BATCH)
            refs = {i.reply_to_outbox_id for i in due if i.reply_to_outbox_id}
            refs |= {i.target_outbox_id for i in due if i.target_outbox_id}
            referenced = await rows.items_by_id(conn, {r for r in refs if r})
            if self.pacer is not None and not self.pacer.knows(chat_id):
                since = now - budget_of(chat_id).window
                self.pacer.seed(chat_id, await rows.sent_since(conn, chat_id, since))
        return due, referenced

    async def _under_pressure(self, chat_id: int) -> bool:
        """Whether the chat's budget is better kept for messages people need."""
        assert self.pacer is not None
        if self.pacer.used(chat_id) >= PIN_PRESSURE:
            return True
        async with self.db.transaction() as conn:
            return await rows.pending_in_chat(conn, chat_id) > 2

    async def _deliver_one(
        self, item: OutboxItem, referenced: dict[int, OutboxItem]
    ) -> OutboxItem | bool | None:
        """Deliver and record one item; None means the chat must wait (order is kept)."""
        assert self.transport is not None
        reply_to = item.reply_to_message_id
        if item.reply_to_outbox_id:
            parent = referenced.get(item.reply_to_outbox_id)
            reply_to = parent.message_id if parent and parent.status == rows.SENT else None
        target_id: int | None = None
        target: OutboxItem | None = None
        if item.target_outbox_id:
            target = referenced.get(item.target_outbox_id)
            if target is None or target.message_id is None:
                await self._record(item, Rejected("the message to edit was never sent"))
                return True
            target_id = target.message_id
        self._inflight.add(item.id)
        try:
            try:
                delivery = await self.transport.deliver(item, reply_to, target_id)
            except Exception as exc:  # a transport bug must not stop the other chats
                log.exception("delivering outbox item %s failed", item.id)
                delivery = RetryLater(type(exc).__name__)
            if isinstance(delivery, TargetGone) and item.kind == "delete":
                delivery = Delivered(None)  # already gone: what the delete wanted
            elif isinstance(delivery, TargetGone) and target is not None:
                delivery = await self._repost(item, target)
            return await self._record(item, delivery)
        finally:
            self._inflight.discard(item.id)

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

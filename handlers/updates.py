"""Update processing: concurrent across people, in order for each person.

Telegram may deliver many shop owners' updates at once; waiting for one report's database
work before reading the next person's update would make everyone wait for everyone. One
person's updates (a location, then a category press) must still be handled in the order
they came, so updates are serialised per sender and chat, and run side by side otherwise.
The database still decides every race: it runs one transaction at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 64


class PerSenderUpdateProcessor(BaseUpdateProcessor):
    """``on_handled(update_id)`` is told of each update once its handlers have run."""

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT,
        on_handled: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self.on_handled = on_handled

    @staticmethod
    def key(update: object) -> tuple[int, int]:
        if not isinstance(update, Update):
            return (0, 0)
        user = update.effective_user.id if update.effective_user else 0
        chat = update.effective_chat.id if update.effective_chat else 0
        return (user, chat)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
            if self.on_handled is not None and isinstance(update, Update):
                self.on_handled(update.update_id)
        finally:
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

"""Held answers: Telegram applied the request, but its answer is slow to come back."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(eq=False)
class Hold:
    """Answers to requests for one chat wait until ``release()`` (or each ``seconds`` long).

    The requests themselves are applied at once (a held message already exists); only the
    answer waits. ``held`` counts the answers held so far, ``waiting`` those waiting now.
    """

    chat_id: int
    seconds: float | None = None
    held: int = 0
    waiting: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)

    @property
    def released(self) -> bool:
        """Whether the hold has ended (answers then come at once again)."""
        return self._released.is_set()

    def release(self) -> None:
        """End the hold: every waiting answer goes out now, later ones are not held."""
        self._released.set()

    async def delay(self) -> None:
        """Wait as this hold says, before an answer goes out."""
        async with self._changed:
            self.held += 1
            self.waiting += 1
            self._changed.notify_all()
        try:
            if self.seconds is None:
                await self._released.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), self.seconds)
        finally:
            self.waiting -= 1

    async def until_held(self, count: int = 1) -> None:
        """Return once ``count`` answers have been held (tests wait on this, not on time)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.held >= count)

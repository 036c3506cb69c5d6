"""Telegram's flood limits, one budget per chat and one for the bot, and what goes first.

Telegram's Bots FAQ ("My bot is hitting limits"): about 30 messages a second in all, no more
than 20 a minute in one group, and about one a second in a private chat. The outbox asks
the pacer before every request to a chat (edits count: Telegram throttles them too), so a
chat that has spent its budget waits in its own lane while every other chat goes on. The
budget is derived from the database (when each chat's messages were sent), so a restart
does not forget a minute's spending; only the one-second windows live in memory.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from bot.core.clock import Clock


class Priority(IntEnum):
    """Within a chat, lower goes first; a chat's items of one priority keep their order."""

    NEXT_STEP = 0  # someone is waiting for it right now: a prompt, a panel, a refusal
    ORDINARY = 1  # the loop's news: a card, a progress notice, a result
    BACKGROUND = 2  # reminders, lead notices, digests, catch-up summaries
    OPTIONAL = 3  # nice to have, dropped when the chat's budget is under pressure


PRIORITY_OF_PURPOSE: dict[str, Priority] = {
    "prompt": Priority.NEXT_STEP,
    "panel": Priority.NEXT_STEP,
    "refusal": Priority.NEXT_STEP,
    "draft_end": Priority.NEXT_STEP,
    "resolve_prompt": Priority.NEXT_STEP,
    "confirm": Priority.NEXT_STEP,
    "hint": Priority.NEXT_STEP,
    "points_prompt": Priority.NEXT_STEP,
    "points": Priority.NEXT_STEP,
    "card": Priority.ORDINARY,
    "group_notice": Priority.ORDINARY,
    "progress": Priority.ORDINARY,
    "resolution": Priority.ORDINARY,
    "squad_notice": Priority.BACKGROUND,
    "lead_notice": Priority.BACKGROUND,
    # The one summary a squad chat gets after downtime, instead of a reminder per ticket.
    "catch_up": Priority.ORDINARY,
    "card_refresh": Priority.BACKGROUND,
    "digest": Priority.BACKGROUND,
    "digest_chart": Priority.BACKGROUND,
    "card_pin": Priority.OPTIONAL,
}


def priority_of(purpose: str) -> Priority:
    return PRIORITY_OF_PURPOSE.get(purpose, Priority.ORDINARY)


@dataclass(frozen=True)
class Budget:
    """At most ``count`` requests in any ``window``."""

    count: int
    window: timedelta

    @property
    def margin(self) -> timedelta:
        # Telegram counts when a request arrives, we when it leaves: keep a little slack.
        return self.window * 0.02 + timedelta(milliseconds=50)


BACKGROUND_SHARE = 0.5
BOT = Budget(30, timedelta(seconds=1))
GROUP = Budget(20, timedelta(minutes=1))
PRIVATE = Budget(1, timedelta(seconds=1))


def budget_of(chat_id: int) -> Budget:
    """Private chats have positive ids; groups, supergroups and channels negative ones."""
    return PRIVATE if chat_id > 0 else GROUP


class Window:
    """When the requests of one budget were made, the last window's worth."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.times: deque[datetime] = deque()

    def _forget(self, now: datetime) -> None:
        horizon = now - self.budget.window - self.budget.margin
        while self.times and self.times[0] <= horizon:
            self.times.popleft()

    def wait(self, now: datetime, share: float = 1.0) -> float:
        """Seconds until one more request fits in ``share`` of the budget."""
        self._forget(now)
        count = max(1, int(self.budget.count * share))
        if len(self.times) < count:
            return 0.0
        oldest = self.times[-count]
        free_at = oldest + self.budget.window + self.budget.margin
        return max(0.0, (free_at - now).total_seconds())

    def used(self, now: datetime) -> float:
        """The share of the budget spent in the last window (0 to 1)."""
        self._forget(now)
        return min(1.0, len(self.times) / self.budget.count)


class Pacer:
    """Every chat's budget and the bot's, asked before each request and told after it."""

    def __init__(self, clock: Clock, bot: Budget = BOT) -> None:
        self.clock = clock
        self.bot = Window(bot)
        self.chats: dict[int, Window] = {}

    def knows(self, chat_id: int) -> bool:
        return chat_id in self.chats

    def seed(self, chat_id: int, sent: list[datetime]) -> None:
        """Start a chat's window from the database's record of its recent sends."""
        window = Window(budget_of(chat_id))
        window.times.extend(sorted(sent))
        self.chats[chat_id] = window

    def wait(self, chat_id: int, priority: Priority = Priority.ORDINARY) -> float:
        """Seconds until a request of ``priority`` may go to the chat. Background requests
        (reminders, digests, card refreshes) use at most half of a chat's budget, so that
        whatever people are waiting for finds room in the chat at once."""
        now = self.clock.now()
        share = BACKGROUND_SHARE if priority >= Priority.BACKGROUND else 1.0
        return max(self.bot.wait(now), self._chat(chat_id).wait(now, share))

    def used(self, chat_id: int) -> float:
        return self._chat(chat_id).used(self.clock.now())

    def spend(self, chat_id: int) -> None:
        now = self.clock.now()
        self.bot.times.append(now)
        self._chat(chat_id).times.append(now)

    def _chat(self, chat_id: int) -> Window:
        window = self.chats.get(chat_id)
        if window is None:
            window = self.chats[chat_id] = Window(budget_of(chat_id))
        return window

"""Telegram's flood limits, as its Bots FAQ states them ("My bot is hitting limits").

About 30 messages a second per bot, 20 messages a minute per group, supergroup or channel,
and about one message a second per private chat, short bursts allowed. Telegram does not
publish its exact algorithm; the models here are the conservative reading of those figures:
a sliding window (never more than N in any span of T seconds) for the bot and for groups,
and a token bucket (a few tokens of burst, one back a second) for private chats.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any


def counts_against_limits(method: str) -> bool:
    """Whether a request spends a chat's budget: sending and editing messages do.

    Button answers, polling, menus and look-ups (answerCallbackQuery, getUpdates,
    setMyCommands, getChatMember, ...) never do.
    """
    return method.startswith(("send", "editMessage"))


@dataclass
class SlidingWindow:
    """At most ``limit`` requests in any ``period`` seconds."""

    limit: int
    period: float
    accepted: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        while self.accepted and self.accepted[0] <= now - self.period:
            self.accepted.popleft()
        if len(self.accepted) < self.limit:
            return 0.0
        return self.accepted[0] + self.period - now

    def spend(self, now: float) -> None:
        """Count one accepted request."""
        self.accepted.append(now)


@dataclass
class TokenBucket:
    """``burst`` tokens, one spent per request, refilled at ``rate`` tokens a second."""

    burst: float
    rate: float
    tokens: float | None = None
    updated: float | None = None

    def _refill(self, now: float) -> float:
        if self.tokens is None or self.updated is None:
            return self.burst
        return min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)

    def wait(self, now: float) -> float:
        """Seconds until a whole token is back (0 when one is there now)."""
        tokens = self._refill(now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def spend(self, now: float) -> None:
        """Take one token."""
        self.tokens = self._refill(now) - 1
        self.updated = now


Budget = SlidingWindow | TokenBucket


@dataclass
class FloodLimits:
    """The bot's budgets, per bot and per chat, and the 429s answered so far.

    The figures default to Telegram's; ``rejected`` counts the 429 answers per chat id.
    ``group_refills`` swaps the group window for the lenient reading: a bucket of
    ``per_group`` tokens refilled evenly (twenty at once, then one every 3 s), which is how
    PTB's AIORateLimiter paces a group; Telegram does not say which of the two it applies.
    """

    per_bot: int = 30
    per_bot_period: float = 1.0
    per_group: int = 20
    per_group_period: float = 60.0
    private_rate: float = 1.0
    private_burst: int = 3
    group_refills: bool = False
    rejected: Counter[int] = field(default_factory=Counter)
    _bot: SlidingWindow | None = None
    _chats: dict[int, Budget] = field(default_factory=dict)

    def _budgets(self, chat_id: int, private: bool) -> tuple[Budget, Budget]:
        if self._bot is None:
            self._bot = SlidingWindow(self.per_bot, self.per_bot_period)
        chat = self._chats.get(chat_id)
        if chat is None:
            if private:
                chat = TokenBucket(self.private_burst, self.private_rate)
            elif self.group_refills:
                chat = TokenBucket(self.per_group, self.per_group / self.per_group_period)
            else:
                chat = SlidingWindow(self.per_group, self.per_group_period)
            self._chats[chat_id] = chat
        return self._bot, chat

    def retry_after(self, chat_id: int, *, private: bool, now: float) -> int | None:
        """Whole seconds to wait before a message to this chat fits, or None if it fits now.

        A refusal is counted in ``rejected``; an accepted request is not spent until
        ``spend`` is called (a request Telegram refuses for another reason costs nothing).
        """
        wait = max(budget.wait(now) for budget in self._budgets(chat_id, private))
        if wait <= 0:
            return None
        self.rejected[chat_id] += 1
        # A hair's tolerance, so float arithmetic never turns 2 s into "retry after 3".
        return max(1, math.ceil(wait - 1e-9))

    def spend(self, chat_id: int, *, private: bool, now: float) -> None:
        """Count one message to this chat against the bot's and the chat's budgets."""
        for budget in self._budgets(chat_id, private):
            budget.spend(now)

    def stats(self) -> dict[str, Any]:
        """The 429s answered, in total and per chat id, as JSON-ready data."""
        return {
            "rejected_total": self.rejected.total(),
            "rejected": {str(chat_id): count for chat_id, count in self.rejected.items()},
        }

"""Keeps every update Telegram hands over in the inbox before python-telegram-bot confirms it.

Polling: ``InboxBot`` writes each fetched batch, as Telegram sent it, before handing it to
the Updater, whose next getUpdates call is what confirms the batch to Telegram. At start-up
``replay_inbox`` handles what was kept but not handled before the process stopped. (A webhook
worker keeps each posted update before it answers 200: ``handlers.webhook``.)
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.delivery.inbox import Inbox
from handlers.context import GridApp

log = logging.getLogger(__name__)


class InboxBot(ExtBot[Any]):
    """An ExtBot whose getUpdates keeps the batch in the inbox before returning it, and can
    be told to resume past the updates replayed at start."""

    __slots__ = ("_fetched", "_inbox", "_resume_offset")

    def __init__(self, inbox: Inbox, token: str, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self._inbox = inbox
        self._resume_offset: int | None = None
        self._fetched: list[dict[str, Any]] | None = None

    def resume_from(self, offset: int) -> None:
        """Ask the next getUpdates for ``offset`` at least (past the replayed updates)."""
        self._resume_offset = offset

    async def get_updates(
        self, offset: int | None = None, *args: Any, **kwargs: Any
    ) -> tuple[Update, ...]:
        if self._resume_offset is not None:
            offset = max(offset or 0, self._resume_offset)
        self._resume_offset = None
        self._fetched = None
        try:
            return await super().get_updates(offset, *args, **kwargs)
        except TelegramError:
            raise
        except Exception:
            if self._fetched is None:
                raise
            # PTB could not parse the batch (it logs it): hand on what it can parse, keep the
            # rest aside, and confirm the whole batch so it is not fetched again and again.
            return await self._readable_part(self._fetched)

    async def _readable_part(self, batch: list[dict[str, Any]]) -> tuple[Update, ...]:
        readable: list[Update] = []
        unreadable: list[int] = []
        for raw in batch:
            try:
                readable.append(Update.de_json(raw, self))
            except Exception as exc:  # whatever a stranger's JSON makes PTB raise
                log.error(
                    "inbox: update %s cannot be parsed, kept aside: %r", raw["update_id"], exc
                )
                unreadable.append(raw["update_id"])
        await self._inbox.set_aside(unreadable)
        self._resume_offset = max(raw["update_id"] for raw in batch) + 1
        return tuple(readable)

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            # Kept as Telegram sent them, before PTB parses them: serialising the parsed
            # Update objects again cost more than handling them. Also for the Updater's last
            # call at shut-down, whose updates it drops unconfirmed: they are handled at the
            # next start, and resume_from skips Telegram's second copy.
            await self._inbox.receive(
                [(raw["update_id"], json.dumps(raw, ensure_ascii=False)) for raw in result]
            )
            self._fetched = result
        return result


async def replay_inbox(app: GridApp, inbox: Inbox) -> int:
    """Handle the updates kept but not handled before the last stop, oldest first.

    Runs before polling starts; returns how many were replayed.
    """
    kept = await inbox.unhandled()
    for item in kept:
        try:
            update = Update.de_json(json.loads(item.raw), app.bot)
        except Exception as exc:  # whatever a stranger's JSON makes PTB raise
            log.error("inbox: update %s cannot be parsed, kept aside: %r", item.update_id, exc)
            await inbox.set_aside([item.update_id])
        else:
            await app.process_update(update)
            inbox.handled(item.update_id)
    offset = inbox.resume_offset(kept)
    if offset is not None and isinstance(app.bot, InboxBot):
        app.bot.resume_from(offset)
    return len(kept)

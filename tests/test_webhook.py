"""Webhook mode: only posts carrying Telegram's secret-token header reach the bot.

The real Application serves its webhook on a free loopback port with the options
``griddesk run --webhook`` uses; its Bot API calls go to the in-process stand-in.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, select

from bot.app import build_application
from bot.cli import webhook_options
from bot.core.config import Settings, TelegramSettings, Webhook
from standin import World
from storage.schema import inbox, report_drafts
from tests.clock import FakeClock
from tests.fakes import InProcessBotApi
from tests.harness import MARKET_GROUP, TOKEN, WANG, Harness

SECRET = "s3cret-token_from-the-environment"
PUBLIC_URL = "https://griddesk.example.org/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(name="served")
async def fixture_served(
    world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[tuple[Harness, str]]:
    hook = Webhook(listen="127.0.0.1", port=_free_port(), path="telegram")
    settings = settings.model_copy(update={"telegram": TelegramSettings(webhook=hook)})
    app = build_application(
        settings,
        TOKEN,
        clock=clock,
        request=InProcessBotApi(world),
        rate_limit=False,
        run_sender=False,
        webhook=True,  # as `griddesk run --webhook` builds it
    )
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    harness = Harness(world, app, clock)
    updater = harness.app.updater
    assert updater is not None
    await updater.start_webhook(**webhook_options(hook, PUBLIC_URL, SECRET))
    await harness.app.start()
    yield harness, f"http://127.0.0.1:{hook.port}/telegram"
    await updater.stop()
    await harness.app.stop()
    await harness.stop()


async def _post(harness: Harness, url: str, update: dict[str, Any], **headers: str) -> int:
    """Post ``update`` as Telegram would; return the status once the bot has handled it."""
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json=update, headers=headers)
    await harness.app.update_queue.join()
    await harness.settle()
    return response.status_code


async def _rows(harness: Harness, table: Table) -> int:
    async with harness.services.db.transaction() as conn:
        count = (await conn.execute(select(func.count()).select_from(table))).scalar()
    return int(count or 0)


async def test_webhook_is_registered_with_its_secret(served: tuple[Harness, str]) -> None:
    """Starting the webhook tells Telegram the public URL and the secret to send back."""
    harness, _ = served
    registered = harness.world.calls_to("setWebhook")[-1]
    assert (PUBLIC_URL, SECRET) == (registered.params["url"], registered.params["secret_token"])


async def test_update_with_the_secret_is_handled(served: tuple[Harness, str]) -> None:
    """A /report posted with the right secret header gets its location prompt."""
    harness, url = served
    update = harness.world.user_sends(MARKET_GROUP, WANG, text="/report")
    assert update is not None

    assert 200 == await _post(harness, url, update, **{HEADER: SECRET})

    prompt = harness.bot_last(MARKET_GROUP)
    assert update["message"]["message_id"] == prompt.reply_to
    assert 1 == await _rows(harness, report_drafts)


@pytest.mark.parametrize("headers", [{}, {HEADER: "not-the-secret"}], ids=["missing", "wrong"])
async def test_update_without_the_secret_is_refused(
    served: tuple[Harness, str], headers: dict[str, str]
) -> None:
    """A post without the secret header, or with another value, gets 403 and changes nothing:
    no update kept, no draft, no Bot API request."""
    harness, url = served
    update = harness.world.user_sends(MARKET_GROUP, WANG, text="/report")
    assert update is not None
    calls_before = len(harness.world.calls)

    assert 403 == await _post(harness, url, update, **headers)

    assert ([], 0, 0) == (
        harness.world.calls[calls_before:],
        await _rows(harness, inbox),
        await _rows(harness, report_drafts),
    )
    assert harness.world.last_bot_message(MARKET_GROUP) is None

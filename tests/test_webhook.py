"""Webhook workers: our own server keeps each posted update, then updates are taken from
the inbox chat by chat, under a lease, by whichever worker holds the chat.

Real Applications serve on free loopback ports as ``griddesk run --webhook`` does; their
Bot API calls go to the in-process stand-in. Tests with two workers run them on one
database (a SQLite file, or a PostgreSQL database with GRIDDESK_TEST_POSTGRES set).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, select

from bot.app import build_application
from bot.core.config import Settings, TelegramSettings, Webhook
from bot.delivery.taking import KeptUpdate, lease_name
from handlers.webhook import HEALTH_PATH, SECRET_HEADER, WebhookWorker
from standin import World
from storage import inbox as inbox_rows
from storage import leases
from storage.schema import inbox, report_drafts
from tests.clock import FakeClock
from tests.fakes import InProcessBotApi
from tests.harness import MARKET_GROUP, TOKEN, WANG, Harness

SECRET = "s3cret-token_from-the-environment"
PUBLIC_URL = "https://griddesk.example.org/telegram"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    """One worker: its harness (the Application) and its server's address."""

    def __init__(self, harness: Harness, worker: WebhookWorker) -> None:
        self.harness = harness
        self.worker = worker
        self.url = f"http://127.0.0.1:{worker.hook.port}/telegram"
        self.health = f"http://127.0.0.1:{worker.hook.port}{HEALTH_PATH}"

    async def post(self, update: dict[str, Any] | bytes, **headers: str) -> int:
        """Post as Telegram would; return the status once this worker has handled it."""
        async with httpx.AsyncClient() as client:
            if isinstance(update, bytes):
                response = await client.post(self.url, content=update, headers=headers)
            else:
                response = await client.post(self.url, json=update, headers=headers)
        await self.worker.taker.settle()
        await self.harness.settle()
        return response.status_code


async def start_worker(world: World, settings: Settings, clock: FakeClock) -> Served:
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
    worker = WebhookWorker(app, hook, PUBLIC_URL, SECRET)
    await worker.start()
    return Served(Harness(world, app, clock), worker)


@pytest.fixture(name="served")
async def fixture_served(
    world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Served]:
    served = await start_worker(world, settings, clock)
    yield served
    await served.worker.stop()


async def _rows(harness: Harness, table: Table) -> int:
    async with harness.services.db.transaction() as conn:
        count = (await conn.execute(select(func.count()).select_from(table))).scalar()
    return int(count or 0)


def _report(world: World, user: int = WANG) -> dict[str, Any]:
    update = world.user_sends(MARKET_GROUP, user, text="/report")
    assert update is not None
    world.updates.clear()  # delivered by the webhook, not by getUpdates
    return update


async def test_webhook_is_registered_with_its_secret(served: Served) -> None:
    """Starting the worker tells Telegram the public URL and the secret to send back."""
    registered = served.harness.world.calls_to("setWebhook")[-1]
    assert (PUBLIC_URL, SECRET) == (registered.params["url"], registered.params["secret_token"])


async def test_update_with_the_secret_is_handled_and_leaves_the_inbox(served: Served) -> None:
    """A /report posted with the right secret header gets its location prompt."""
    update = _report(served.harness.world)

    assert 200 == await served.post(update, **{SECRET_HEADER: SECRET})

    prompt = served.harness.bot_last(MARKET_GROUP)
    assert update["message"]["message_id"] == prompt.reply_to
    assert (1, 0) == (
        await _rows(served.harness, report_drafts),
        await _rows(served.harness, inbox),
    )


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "not-the-secret"}], ids=["missing", "wrong"]
)
async def test_update_without_the_secret_is_refused(
    served: Served, headers: dict[str, str]
) -> None:
    """A post without the secret header, or with another value, gets 403 and changes nothing:
    no update kept, no draft, no Bot API request."""
    world = served.harness.world
    update = _report(world)
    calls_before = len(world.calls)

    assert 403 == await served.post(update, **headers)

    assert ([], 0, 0) == (
        world.calls[calls_before:],
        await _rows(served.harness, inbox),
        await _rows(served.harness, report_drafts),
    )


async def test_update_is_kept_before_the_200_and_handled_after(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Telegram gets 200 only once the update is committed in the inbox; it is handled
    afterwards, and leaves the inbox when handled."""
    served = await start_worker(world, settings, clock)
    release = asyncio.Event()
    seen: list[int] = []
    handle = served.worker.taker.handle

    async def slow_handle(kept: KeptUpdate) -> bool:
        seen.append(kept.update_id)
        await release.wait()
        return await handle(kept)

    served.worker.taker.handle = slow_handle
    update = _report(world)
    async with httpx.AsyncClient() as client:
        answer = await client.post(served.url, json=update, headers={SECRET_HEADER: SECRET})
    assert 200 == answer.status_code
    assert 1 == await _rows(served.harness, inbox)
    assert 0 == await _rows(served.harness, report_drafts)
    release.set()
    await served.worker.taker.settle()
    assert [update["update_id"]] == seen
    assert (1, 0) == (
        await _rows(served.harness, report_drafts),
        await _rows(served.harness, inbox),
    )
    await served.worker.stop()


async def test_the_same_update_posted_twice_is_handled_once(served: Served) -> None:
    """Telegram posts an update again when it missed the 200: one draft, one prompt."""
    update = _report(served.harness.world)
    assert 200 == await served.post(update, **{SECRET_HEADER: SECRET})
    assert 200 == await served.post(update, **{SECRET_HEADER: SECRET})
    prompts = [m for m in served.harness.world.sent_to(MARKET_GROUP) if m.reply_to is not None]
    assert (1, 1) == (len(prompts), await _rows(served.harness, report_drafts))


async def test_unparseable_update_is_answered_200_and_kept_aside(served: Served) -> None:
    """An update python-telegram-bot cannot parse is kept for inspection and answered 200
    (so Telegram does not post it again and again); it is never handled."""
    bad = {"update_id": 880001, "message": {"message_id": 1}}  # no date, no chat
    calls_before = len(served.harness.world.calls)

    assert 200 == await served.post(bad, **{SECRET_HEADER: SECRET})

    async with served.harness.services.db.transaction() as conn:
        aside = await inbox_rows.unreadable(conn)
        to_handle = await inbox_rows.kept(conn)
    assert ([880001], []) == ([u.update_id for u in aside], to_handle)
    assert [] == served.harness.world.calls[calls_before:]


async def test_a_body_that_is_no_update_gets_400(served: Served) -> None:
    assert 400 == await served.post(b"not json", **{SECRET_HEADER: SECRET})
    assert 400 == await served.post({"message": {}}, **{SECRET_HEADER: SECRET})
    assert 0 == await _rows(served.harness, inbox)


async def test_health_says_whether_the_database_answers(served: Served) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(served.health)
    assert 200 == answer.status_code
    assert {"ok": True, "waiting_updates": 0} == {
        key: answer.json()[key] for key in ("ok", "waiting_updates")
    }
    await served.harness.services.db.close()
    async with httpx.AsyncClient() as client:
        answer = await client.get(served.health)
    assert (503, False) == (answer.status_code, answer.json()["ok"])
    await served.harness.services.db.open()


async def test_a_chat_held_by_another_worker_waits_for_it(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Worker B receives an update of a chat worker A holds: B keeps it and leaves it; A
    handles it when it looks."""
    a = await start_worker(world, settings, clock)
    b = await start_worker(world, settings, clock)
    async with a.harness.services.db.transaction() as conn:
        assert await leases.take(
            conn,
            lease_name(MARKET_GROUP),
            a.worker.taker.holder,
            clock.now(),
            timedelta(seconds=30),
        )
    update = _report(world)

    assert 200 == await b.post(update, **{SECRET_HEADER: SECRET})
    assert (1, 0) == (await _rows(b.harness, inbox), await _rows(b.harness, report_drafts))

    async with a.harness.services.db.transaction() as conn:
        await leases.release(conn, lease_name(MARKET_GROUP), a.worker.taker.holder)
    assert 1 == await a.worker.taker.look()
    await a.worker.taker.settle()
    assert (0, 1) == (await _rows(a.harness, inbox), await _rows(a.harness, report_drafts))
    await b.worker.stop()
    await a.worker.stop()


async def test_a_dead_workers_chat_is_taken_over_when_its_lease_expires(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """A worker died holding a chat: its updates wait until the lease expires, then the
    living worker handles them, in order."""
    b = await start_worker(world, settings, clock)
    async with b.harness.services.db.transaction() as conn:
        assert await leases.take(
            conn, lease_name(MARKET_GROUP), "dead-worker", clock.now(), timedelta(seconds=30)
        )
    first = _report(world)
    assert 200 == await b.post(first, **{SECRET_HEADER: SECRET})
    assert 0 == await _rows(b.harness, report_drafts)

    clock.advance(seconds=20)
    await b.worker.taker.look()
    await b.worker.taker.settle()
    assert 0 == await _rows(b.harness, report_drafts)

    clock.advance(seconds=11)
    await b.worker.taker.look()
    await b.worker.taker.settle()
    await b.harness.settle()
    assert (1, 0) == (await _rows(b.harness, report_drafts), await _rows(b.harness, inbox))
    assert first["message"]["message_id"] == b.harness.bot_last(MARKET_GROUP).reply_to
    await b.worker.stop()

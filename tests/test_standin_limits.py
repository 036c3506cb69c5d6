"""The stand-in's model of Telegram's flood limits, and answers held for one chat."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from standin import ApiResponse, FloodLimits, ManualClock, StandinServer, World
from tests.fakes import InProcessBotApi

TOKEN = "7000000001:standin-test-token"
START = 1_717_228_800.0  # 2024-06-01 08:00:00 UTC
ALICE, BOB = 101, 102
GROUP = -1_001_000_000_001
QUIET_GROUP = -1_001_000_000_002


def too_many(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


def rejected(world: World) -> dict[int, int]:
    assert world.limits is not None
    return dict(world.limits.rejected)


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="world")
def fixture_world(clock: ManualClock) -> World:
    world = World(clock=clock, api_json=None, limits=FloodLimits())
    world.add_user(ALICE, "Alice")
    world.add_user(BOB, "Bob")
    world.add_chat(GROUP, "supergroup", "Grid 7", members={ALICE: "creator", BOB: "member"})
    world.add_chat(QUIET_GROUP, "supergroup", "Grid 8", members={BOB: "creator"})
    world.add_chat(ALICE, "private")
    return world


async def send(world: World, chat_id: int, text: str = "x") -> ApiResponse:
    return await world.call("sendMessage", {"chat_id": chat_id, "text": text})


async def fill_group_minute(world: World, clock: ManualClock) -> None:
    """Twenty messages to GROUP, one every two seconds (the last at START + 38 s)."""
    for n in range(20):
        assert 200 == (await send(world, GROUP, f"m{n}")).status
        if n < 19:
            clock.advance(2)


# --- flood limits -------------------------------------------------------------------------


async def test_21st_group_message_within_a_minute_is_refused_and_not_applied(
    world: World, clock: ManualClock
) -> None:
    """The 21st message to a group within 60 s gets 429 with the wait and is not sent."""
    await fill_group_minute(world, clock)
    refused = await send(world, GROUP, "one too many")
    # The first of the twenty leaves the window at START + 60 s, 22 s from now.
    assert (429, too_many(22)) == (refused.status, refused.payload)
    assert 20 == len(world.sent_to(GROUP))
    assert {GROUP: 1} == rejected(world)


async def test_group_message_goes_through_once_the_clock_passes_retry_after(
    world: World, clock: ManualClock
) -> None:
    """After waiting retry_after seconds the same message is accepted and sent."""
    await fill_group_minute(world, clock)
    retry_after = (await send(world, GROUP)).payload["parameters"]["retry_after"]
    clock.advance(retry_after - 1)
    early = await send(world, GROUP)
    clock.advance(1)
    later = await send(world, GROUP, "at last")
    assert (429, 200) == (early.status, later.status)
    assert "at last" == world.sent_to(GROUP)[-1].text


async def test_lenient_group_reading_refills_one_message_every_three_seconds(
    clock: ManualClock,
) -> None:
    """With group_refills a spent group gets one message back every 3 s, not after 60 s."""
    world = World(clock=clock, api_json=None, limits=FloodLimits(group_refills=True))
    world.add_chat(GROUP, "supergroup", "Grid 7")
    burst = {(await send(world, GROUP)).status for _ in range(20)}
    refused = await send(world, GROUP)
    clock.advance(3)
    assert ({200}, too_many(3), [200, 429]) == (
        burst,
        refused.payload,
        [(await send(world, GROUP)).status for _ in range(2)],
    )


async def test_edits_spend_the_group_budget_and_are_not_applied_when_refused(
    world: World, clock: ManualClock
) -> None:
    """An edit beyond the group's twenty a minute gets 429 and leaves the message as it was."""
    await fill_group_minute(world, clock)
    first = world.sent_to(GROUP)[0]
    edit = await world.call(
        "editMessageText", {"chat_id": GROUP, "message_id": first.message_id, "text": "new"}
    )
    assert (429, "m0") == (edit.status, first.text)


async def test_another_group_keeps_its_own_budget(world: World, clock: ManualClock) -> None:
    """A group at its limit does not limit a quiet group."""
    await fill_group_minute(world, clock)
    assert (429, 200) == (
        (await send(world, GROUP)).status,
        (await send(world, QUIET_GROUP)).status,
    )


async def test_private_chat_allows_a_short_burst_then_one_a_second(
    world: World, clock: ManualClock
) -> None:
    """A private chat takes a burst of three, then one message a second."""
    burst = [(await send(world, ALICE)).status for _ in range(3)]
    refused = await send(world, ALICE)
    clock.advance(1)
    next_second = [(await send(world, ALICE)).status for _ in range(2)]
    assert ([200, 200, 200], 429, [200, 429]) == (burst, refused.status, next_second)
    assert too_many(1) == refused.payload


async def test_bot_sends_at_most_thirty_messages_a_second(world: World, clock: ManualClock) -> None:
    """Across chats the bot gets thirty messages a second; the 31st waits for the next."""
    chats = list(range(-1_001_000_001_000, -1_001_000_001_031, -1))
    for chat_id in chats:
        world.add_chat(chat_id, "group", f"Grid {chat_id}")
    statuses = [(await send(world, chat_id)).status for chat_id in chats]
    clock.advance(1)
    assert ([200] * 30 + [429], 200) == (statuses, (await send(world, chats[-1])).status)
    assert {chats[-1]: 1} == rejected(world)


async def test_button_answers_and_look_ups_are_never_limited(
    world: World, clock: ManualClock
) -> None:
    """answerCallbackQuery, getChatMember, setMyCommands and getUpdates pass a spent group."""
    await fill_group_minute(world, clock)
    card = world.sent_to(GROUP)[0]
    update = world.press_button(GROUP, card.message_id, BOB, "v1:claim:1")
    assert update is not None
    statuses = [
        (await world.call(method, params)).status
        for method, params in [
            ("answerCallbackQuery", {"callback_query_id": update["callback_query"]["id"]}),
            ("getChatMember", {"chat_id": GROUP, "user_id": BOB}),
            ("setMyCommands", {"commands": [{"command": "report", "description": "Report"}]}),
            ("getUpdates", {"timeout": 0}),
            ("getMe", {}),
        ]
    ]
    assert [200] * 5 == statuses


async def test_limits_are_off_unless_asked_for(clock: ManualClock) -> None:
    """A world built without limits sends any number of messages at once."""
    world = World(clock=clock, api_json=None)
    world.add_chat(GROUP, "supergroup", "Grid 7")
    statuses = {(await send(world, GROUP)).status for _ in range(40)}
    assert ({200}, 40) == (statuses, len(world.sent_to(GROUP)))


async def test_ptb_sees_a_flood_limit_as_retry_after(
    world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through PTB's request interface the 429 surfaces as RetryAfter with the wait."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    await fill_group_minute(world, clock)
    api = InProcessBotApi(world, token=TOKEN)
    async with Bot(TOKEN, request=api, get_updates_request=api) as bot:
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(GROUP, "x")
    assert dt.timedelta(seconds=22) == raised.value.retry_after


# --- held answers -------------------------------------------------------------------------


async def test_held_chat_answer_waits_while_another_chat_is_answered(world: World) -> None:
    """A held chat's message exists at once, its answer waits; other chats are answered."""
    hold = world.hold(GROUP)
    held = asyncio.create_task(send(world, GROUP, "slow answer"))
    await asyncio.wait_for(hold.until_held(), timeout=10)
    quiet = await send(world, QUIET_GROUP, "quick")
    assert (200, False) == (quiet.status, held.done())
    assert "slow answer" == world.sent_to(GROUP)[-1].text
    hold.release()
    assert 200 == (await held).status


async def test_released_hold_answers_at_once_again(world: World) -> None:
    """After release, later requests to the chat are not held."""
    hold = world.hold(GROUP, seconds=3600)
    held = asyncio.create_task(send(world, GROUP))
    await asyncio.wait_for(hold.until_held(), timeout=10)
    hold.release()
    await held
    assert (200, 1) == ((await send(world, GROUP)).status, hold.held)


@pytest.fixture(name="server")
async def fixture_server(world: World) -> AsyncIterator[StandinServer]:
    async with StandinServer(world, TOKEN) as server:
        yield server


async def test_held_chat_over_http_does_not_delay_another_chat(
    world: World, server: StandinServer
) -> None:
    """Over HTTP, a PTB bot gets a quiet chat's answer while a held chat's answer waits."""
    hold = world.hold(GROUP)
    request = HTTPXRequest(connection_pool_size=4, httpx_kwargs={"trust_env": False})
    async with Bot(TOKEN, base_url=server.base_url, request=request) as bot:
        held = asyncio.create_task(bot.send_message(GROUP, "slow answer"))
        await asyncio.wait_for(hold.until_held(), timeout=10)
        quiet = await asyncio.wait_for(bot.send_message(QUIET_GROUP, "quick"), timeout=10)
        assert ("quick", False) == (quiet.text, held.done())
        assert "slow answer" == world.sent_to(GROUP)[-1].text
        hold.release()
        assert "slow answer" == (await asyncio.wait_for(held, timeout=10)).text


async def test_flood_limit_over_http_is_a_429_with_retry_after(
    world: World, clock: ManualClock, server: StandinServer
) -> None:
    """Over HTTP the refusal is status 429 with Telegram's body."""
    await fill_group_minute(world, clock)
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.post(
            f"{server.base_url}{TOKEN}/sendMessage", json={"chat_id": GROUP, "text": "x"}
        )
    assert (429, too_many(22)) == (answer.status_code, answer.json())
    assert 20 == len(world.sent_to(GROUP))


async def test_server_reports_the_429s_it_answered(
    world: World, clock: ManualClock, server: StandinServer
) -> None:
    """GET /standin/limits counts the refusals, in total and per chat."""
    await fill_group_minute(world, clock)
    await send(world, GROUP)
    await send(world, GROUP)
    async with httpx.AsyncClient(trust_env=False) as client:
        stats = (await client.get(f"http://{server.host}:{server.port}/standin/limits")).json()
    assert {"ok": True, "result": {"rejected_total": 2, "rejected": {str(GROUP): 2}}} == stats

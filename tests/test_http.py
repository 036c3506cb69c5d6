"""PTB's requests over aiohttp (handlers.http) against the Bot API stand-in on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError

from handlers.http import AiohttpRequest
from standin import StandinServer, World

TOKEN = "7000000001:aiohttp-test-token"
GROUP = -1_001_000_000_001
BOB = 501


@pytest.fixture(name="world")
def fixture_world() -> World:
    world = World(api_json=None)
    world.add_user(BOB, "Bob")
    world.add_chat(GROUP, title="Street", members=[BOB])
    return world


@pytest.fixture(name="server")
async def fixture_server(world: World) -> AsyncIterator[StandinServer]:
    async with StandinServer(world, TOKEN) as server:
        yield server


def loopback() -> AiohttpRequest:
    # Proxy variables in a CI environment must not divert loopback traffic.
    return AiohttpRequest(trust_env=False)


async def test_sends_polls_answers_and_edits(server: StandinServer, world: World) -> None:
    """Form-encoded requests, a long poll and nested markup arrive as Telegram reads them."""
    async with Bot(
        TOKEN, base_url=server.base_url, request=loopback(), get_updates_request=loopback()
    ) as bot:
        sent = await bot.send_message(
            GROUP,
            "挑一个",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
        )
        world.press_button(GROUP, sent.message_id, BOB, "a")
        updates = await bot.get_updates(timeout=5)
        query = updates[0].callback_query
        assert query is not None
        await bot.answer_callback_query(query.id, text="ok")
        edited = await bot.edit_message_text("已选", chat_id=GROUP, message_id=sent.message_id)
    # An edit without reply_markup removes the keyboard, as on Telegram.
    assert ("a", "已选", []) == (
        query.data,
        getattr(edited, "text", None),
        world.message(GROUP, sent.message_id).callback_data,
    )


async def test_uploads_a_photo_as_multipart(server: StandinServer) -> None:
    """A photo given as bytes is uploaded multipart, with its caption."""
    async with Bot(TOKEN, base_url=server.base_url, request=loopback()) as bot:
        message = await bot.send_photo(GROUP, b"not-really-a-jpeg", caption="占道")
    assert ("占道", 4) == (message.caption, len(message.photo))


async def test_telegram_errors_keep_their_meaning(server: StandinServer) -> None:
    """Telegram's 400 answer surfaces as BadRequest with Telegram's own words."""
    async with Bot(TOKEN, base_url=server.base_url, request=loopback()) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(-1_009_999, "nobody here")


async def test_a_dropped_connection_is_a_network_error_without_the_token() -> None:
    """A server that hangs up mid-answer gives NetworkError, and its text has no token."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = loopback()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    assert TOKEN not in str(raised.value)
    assert "aiohttp." in str(raised.value)


def test_the_proxy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY is used for Telegram, and NO_PROXY exempts a host, as with httpx."""
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, "http://proxy.example:3128")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost,127.0.0.1")
    request = AiohttpRequest()
    assert ("http://proxy.example:3128", None) == (
        request._proxy_for("https://api.telegram.org/bot1:x/getMe"),
        request._proxy_for("http://127.0.0.1:8081/bot1:x/getMe"),
    )
    assert None is loopback()._proxy_for("https://api.telegram.org/bot1:x/getMe")

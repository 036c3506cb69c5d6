"""Intake latency and throughput, through the real Application over HTTP on loopback.

Latency: from a report's last update (the "skip" press) being handed to the bot to the
ticket card's request reaching the Bot API stand-in; and, on the same server, a bare
python-telegram-bot echo bot (text in -> reply out). Throughput: complete reports per
second (each /report, location, category, skip, up to the card) from many shop owners at
once, rate limiter off, until the database or the CPU saturates.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from standin import ApiResponse, StandinServer, World

CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"
TOKEN = "123456:bench-token-for-the-stand-in"
GROUP, SQUAD = -1001000000201, -1001000000101
# Which squad gets a card depends on who is on duty at the hour the benchmark runs
# (民主路中队 hands over to 新浦中队 at night), so a card in any squad chat counts.
SQUAD_CHATS = frozenset({SQUAD, -1001000000102, -1001000000100})
POINT = (34.5940, 119.1750)
FIRST_OWNER = 50_000
TIMEOUT = 30.0


class TimedWorld(World):
    """A world that notes when each bot request arrives and wakes whoever waits for it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[tuple[Any, ...], asyncio.Future[float]] = {}
        self.cards: list[float] = []
        self.card_waiter: asyncio.Event = asyncio.Event()
        # When the bot's first long poll arrived (it is recorded in ``calls`` only once it
        # returns, up to its timeout later): the bot is then ready for updates.
        self.first_poll: float | None = None

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> ApiResponse:
        arrived = time.perf_counter()
        if method == "getUpdates" and self.first_poll is None:
            self.first_poll = arrived
        response = await super().call(method, params)
        result = response.payload.get("result")
        if not isinstance(result, dict) or "chat" not in result:
            return response
        chat = result["chat"]["id"]
        if method == "sendMessage":
            if chat in SQUAD_CHATS and str(result.get("text", "")).startswith("🆕"):
                self.cards.append(arrived)
                self.card_waiter.set()
            replied = result.get("reply_to_message", {}).get("message_id")
            self._wake(("reply", chat, replied), arrived, result["message_id"])
        elif method == "editMessageText":
            self._wake(("edit", chat, result["message_id"]), arrived, result["message_id"])
        return response

    def _wake(self, key: tuple[Any, ...], arrived: float, message_id: int) -> None:
        future = self.waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(message_id)

    def expect(self, *key: Any) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future


def district_world(owners: int, world: TimedWorld | None = None) -> TimedWorld:
    """The benchmark district: ``owners`` shop owners, one grid group, the squads."""
    world = TimedWorld() if world is None else world
    ids = list(range(FIRST_OWNER, FIRST_OWNER + owners))
    for user_id in ids:
        world.add_user(user_id, f"商户{user_id}")
    world.add_user(710001, "张队长")
    world.add_chat(GROUP, title="民主路商户群", members=ids)
    world.add_chat(SQUAD, title="民主路中队", members=[710001])
    world.add_chat(-1001000000102, title="新浦中队", members=[710001])
    world.add_chat(-1001000000100, title="指挥中心", members=[710001])
    world.add_chat(-1001000000202, title="新浦北商户群", members=[710001])
    return world


async def one_report(world: TimedWorld, owner: int) -> float:
    """Play one whole report; return when its last update was handed to the bot."""
    panel = await report_up_to_details(world, owner)
    skip = world.message(GROUP, panel).callback_data[0]
    last = time.perf_counter()
    world.press_button(GROUP, panel, owner, skip)
    return last


async def report_up_to_details(
    world: TimedWorld,
    owner: int,
    *,
    group: int = GROUP,
    point: tuple[float, float] = POINT,
    timeout: float = TIMEOUT,
    laps: list[float] | None = None,
) -> int:
    """/report, the location, a category; return the panel that now offers "skip".

    ``laps`` (if given) receives the seconds each of the three steps waited for its answer.
    """
    started = time.perf_counter()
    command = world.user_sends(group, owner, text="/report")
    assert command is not None
    prompt = await asyncio.wait_for(
        world.expect("reply", group, command["message"]["message_id"]), timeout
    )
    lap = time.perf_counter()
    location = world.user_sends(group, owner, location=point, reply_to=int(prompt))
    assert location is not None
    panel = int(
        await asyncio.wait_for(
            world.expect("reply", group, location["message"]["message_id"]), timeout
        )
    )
    laps_taken = [lap - started, time.perf_counter() - lap]
    lap = time.perf_counter()
    edited = world.expect("edit", group, panel)
    world.press_button(group, panel, owner, world.message(group, panel).callback_data[0])
    await asyncio.wait_for(edited, timeout)
    if laps is not None:
        laps.extend([*laps_taken, time.perf_counter() - lap])
    return panel


def _config(
    tmp: str,
    base_url: str,
    telegram: Mapping[str, Any] | None = None,
    database_url: str | None = None,
) -> Path:
    """The example config, pointed at the stand-in, its own database (a file in ``tmp``,
    or ``database_url``), no rate limits (unless ``telegram`` says otherwise: it is merged
    into the ``telegram`` section)."""
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    raw["database"]["path"] = str(Path(tmp) / "bench.db")
    if database_url is not None:
        raw["database"]["url"] = database_url
    raw["telegram"] = {"base_url": base_url, "rate_limiter": False, **(telegram or {})}
    raw["intake"]["max_reports_per_hour"] = 1000  # one benchmark owner reports hundreds
    # Each benchmark report is a new problem at the same few spots: no "same problem?" offer.
    raw["intake"]["join_radius_m"] = 0
    for category in raw["categories"]:
        category.pop("join_radius_m", None)
    for grid in raw["grids"]:
        if "geojson_file" in grid:
            grid["geojson_file"] = str(CONFIG.parent / grid["geojson_file"])
    path = Path(tmp) / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


async def _in_process(
    world: TimedWorld,
    command: list[str],
    body: Any,
    prepare: Any = None,
    telegram: Mapping[str, Any] | None = None,
    start_timeout: float = TIMEOUT,
    database_url: str | None = None,
) -> Any:
    """Run a bot as its own process (as in production) against the world, then ``body``
    (called with the process, if it takes an argument); ``prepare(tmp)`` runs first.
    ``telegram`` goes into the config's ``telegram`` section (see ``_config``); the bot
    has ``start_timeout`` seconds to make its first long poll; ``database_url`` puts its
    records on PostgreSQL instead of a SQLite file."""
    async with StandinServer(world, TOKEN) as server:
        with tempfile.TemporaryDirectory(prefix="griddesk-bench-") as tmp:
            if prepare is not None:
                prepare(tmp)
            argv = [a.replace("{base}", server.base_url).replace("{tmp}", tmp) for a in command]
            if "{config}" in command:
                config = _config(tmp, server.base_url, telegram, database_url)
                argv = [str(config) if a == "{config}" else a for a in argv]
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
            # A log file, not a pipe: a pipe nobody reads fills up and stalls a chatty bot.
            log = Path(tmp) / "bot.log"
            with log.open("ab") as stderr:
                process = await asyncio.create_subprocess_exec(
                    *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
                )
            try:
                deadline = time.monotonic() + start_timeout
                while world.first_poll is None:
                    if process.returncode is not None or time.monotonic() > deadline:
                        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                        raise RuntimeError(f"the bot did not start:\n{tail}")
                    await asyncio.sleep(0.05)
                return await (body(process) if body.__code__.co_argcount else body())
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()


GRIDDESK = [sys.executable, "-m", "bot.cli", "--config", "{config}", "run"]
ECHO = [sys.executable, "-m", "bench.echo_bot", "{base}", TOKEN]
ECHO_AIOHTTP = [*ECHO, "aiohttp"]


async def _run_griddesk(world: TimedWorld, body: Any, database_url: str | None = None) -> Any:
    return await _in_process(world, GRIDDESK, body, database_url=database_url)


async def griddesk_latency(reports: int, database_url: str | None = None) -> list[float]:
    """Milliseconds from each report's last update to its card's request, one at a time."""
    world = district_world(1)

    async def body() -> list[float]:
        latencies = []
        for _ in range(reports):
            world.card_waiter.clear()
            before = len(world.cards)
            last = await one_report(world, FIRST_OWNER)
            while len(world.cards) == before:
                await asyncio.wait_for(world.card_waiter.wait(), TIMEOUT)
                world.card_waiter.clear()
            latencies.append((world.cards[before] - last) * 1000)
        return latencies

    result: list[float] = await _run_griddesk(world, body, database_url)
    return result


async def echo_latency(messages: int, command: list[str] = ECHO) -> list[float]:
    """The same measure for a bare PTB echo bot on the same stand-in."""
    world = district_world(1)
    world.set_bot_admin(GROUP, FIRST_OWNER)

    async def body() -> list[float]:
        latencies = []
        for n in range(messages):
            sent = world.user_sends(GROUP, FIRST_OWNER, text=f"hello {n}")
            assert sent is not None
            waiter = world.expect("reply", GROUP, sent["message"]["message_id"])
            started = time.perf_counter()
            await asyncio.wait_for(waiter, TIMEOUT)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    result: list[float] = await _in_process(world, command, body)
    return result


async def throughput(
    reports: int, owners: int, database_url: str | None = None
) -> dict[str, float]:
    """Complete reports per second with ``owners`` shop owners reporting at once."""
    world = district_world(owners)

    async def body() -> dict[str, float]:
        started = time.perf_counter()
        per_owner = reports // owners

        async def owner_loop(owner: int) -> None:
            for _ in range(per_owner):
                await one_report(world, owner)

        await asyncio.gather(*(owner_loop(FIRST_OWNER + i) for i in range(owners)))
        while len(world.cards) < per_owner * owners:
            world.card_waiter.clear()
            await asyncio.wait_for(world.card_waiter.wait(), TIMEOUT)
        elapsed = time.perf_counter() - started
        return {
            "reports": per_owner * owners,
            "owners_at_once": owners,
            "seconds": round(elapsed, 2),
            "reports_per_second": round(per_owner * owners / elapsed, 1),
        }

    result: dict[str, float] = await _run_griddesk(world, body, database_url)
    return result


def summarise(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
        "count": len(ordered),
    }


async def run(
    reports: int = 200, throughput_reports: int = 600, owners: int = 30
) -> dict[str, Any]:
    griddesk = summarise((await griddesk_latency(reports))[5:])
    echo = summarise((await echo_latency(reports))[5:])
    echo_aiohttp = summarise((await echo_latency(reports, ECHO_AIOHTTP))[5:])
    return {
        "intake_latency": griddesk,
        "echo_latency": echo,
        "echo_aiohttp_latency": echo_aiohttp,
        "ratio_p50": round(griddesk["p50_ms"] / echo["p50_ms"], 2),
        "ratio_p99": round(griddesk["p99_ms"] / echo["p99_ms"], 2),
        "ratio_same_client_p50": round(griddesk["p50_ms"] / echo_aiohttp["p50_ms"], 2),
        "ratio_same_client_p99": round(griddesk["p99_ms"] / echo_aiohttp["p99_ms"], 2),
        "throughput": await throughput(throughput_reports, owners),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run()), indent=2))

"""Several webhook workers on one PostgreSQL database, behind a loopback balancer.

    python -m bench.workers --database postgresql://127.0.0.1/test [--workers 3]
        [--owners 6] [--reports 5] [--kills 6] [--seed 7]
    python -m bench.workers --database postgresql://127.0.0.1/test --throughput

Telegram's part is played here: the stand-in (over HTTP) answers the workers' Bot API
requests, and each update a shop owner makes is posted as a webhook to the balancer, again
until a worker answers 200 (as Telegram does). One chat's updates are posted one after
another, different chats' side by side. The balancer sends each post to the next worker in
turn, and to the one after when a worker does not answer.

With ``--kills``, a worker chosen at random (seeded) is SIGKILLed every 0.5-1.5 s and started
again; with ``--faults 0.1`` a tenth of the workers' Bot API requests fail as Telegram's do
(429 with retry_after, 500, 502, a dropped connection).

Afterwards: every report acknowledged ("已受理") has a ticket, every ticket a card,
nothing is left in the inbox or the outbox, no escalation step was taken twice, and no
chat got two digests for one day. ``--throughput`` instead runs the same load without
kills with one worker on SQLite and 1, 2 and 3 workers on PostgreSQL, and
reports complete reports per second. ``tests/test_workers.py`` is the short run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import yaml
from aiohttp import web

from bench import backends
from bench.crash import report_until_receipt
from bench.intake import FIRST_OWNER, GROUP, SQUAD_CHATS, TIMEOUT, TOKEN, TimedWorld, district_world
from bench.intake import _config as bench_config
from standin import Fault, StandinServer
from storage.database import migrate

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"
PUBLIC = "https://griddesk.example.org/telegram"
LEASE = "3s"  # a killed worker's chats wait this long before another takes them


SPARED = frozenset({"getMe", "setMyCommands", "getChatMember", "setWebhook", "deleteWebhook"})


class TelegramFaults:
    """Fails a share of the workers' Bot API requests as Telegram and networks do: 429 with
    retry_after, 500, 502, a dropped connection (before the request takes effect)."""

    def __init__(self, rate: float, rng: random.Random) -> None:
        self.rate = rate
        self.rng = rng
        self.injected = 0

    def __call__(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        if method in SPARED or self.rng.random() >= self.rate:
            return None
        self.injected += 1
        return self.rng.choice(
            (Fault.rate_limited(1), Fault.server_error(), Fault.bad_gateway(), Fault.dropped())
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _chat_of(update: dict[str, Any]) -> int:
    if "message" in update:
        return int(update["message"]["chat"]["id"])
    if "callback_query" in update:
        return int(update["callback_query"]["message"]["chat"]["id"])
    return 0


class Webhooks:
    """Posts the world's updates to ``url`` as Telegram would: each until it gets 200."""

    def __init__(self, world: TimedWorld, url: str) -> None:
        self.world = world
        self.url = url
        self.acknowledged: list[int] = []
        self.retries = 0
        self._queues: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            try:
                while True:
                    while self.world.updates:
                        update = self.world.updates.pop(0)
                        chat = _chat_of(update)
                        if chat not in self._queues:
                            self._queues[chat] = asyncio.Queue()
                            self._tasks.append(asyncio.create_task(self._chat(session, chat)))
                        self._queues[chat].put_nowait(update)
                    await asyncio.sleep(0.005)
            finally:
                for task in self._tasks:
                    task.cancel()

    async def _chat(self, session: aiohttp.ClientSession, chat: int) -> None:
        queue = self._queues[chat]
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        while True:
            update = await queue.get()
            while True:
                try:
                    async with session.post(self.url, json=update, headers=headers) as answer:
                        if answer.status == 200:
                            self.acknowledged.append(update["update_id"])
                            break
                except aiohttp.ClientError:
                    pass
                self.retries += 1
                await asyncio.sleep(0.05)


class Balancer:
    """A loopback reverse proxy: each post to the next worker in turn, skipping the dead."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = _free_port()
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        served = web.Application()
        served.router.add_post("/telegram", self._forward)
        self._runner = web.AppRunner(served, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        for _ in range(len(self.ports)):
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            url = f"http://127.0.0.1:{port}/telegram"
            try:
                async with self._session.post(url, data=body, headers=headers) as answer:
                    return web.Response(status=answer.status)
            except (aiohttp.ClientError, TimeoutError):
                continue
        return web.Response(status=502)


def _worker_config(tmp: str, base_url: str, database: str, port: int, number: int) -> Path:
    raw = yaml.safe_load(bench_config(tmp, base_url).read_text(encoding="utf-8"))
    raw["database"] = {"url": database} if database.startswith("postgres") else {"path": database}
    raw["telegram"]["webhook"] = {"listen": "127.0.0.1", "port": port, "lease": LEASE}
    path = Path(tmp) / f"worker-{number}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


class Workers:
    """``count`` worker processes (``griddesk run --webhook``), each on its own port."""

    def __init__(self, tmp: str, base_url: str, database: str, count: int) -> None:
        self.tmp = tmp
        self.ports = [_free_port() for _ in range(count)]
        self.configs = [
            _worker_config(tmp, base_url, database, port, n) for n, port in enumerate(self.ports)
        ]
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self.kills = 0

    async def start(self, number: int) -> None:
        log = Path(self.tmp) / f"worker-{number}.log"
        with log.open("ab") as stderr:
            self.processes[number] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "--config",
                str(self.configs[number]),
                "run",
                "--webhook",
                PUBLIC,
                cwd=ROOT,
                env={
                    **os.environ,
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_WEBHOOK_SECRET": SECRET,
                },
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        await self._healthy(self.ports[number])

    async def _healthy(self, port: int) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
                        if answer.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"worker on port {port} did not become healthy")

    async def start_all(self) -> None:
        # One after another: the first migrates the database, the others find it at head.
        for number in range(len(self.ports)):
            await self.start(number)

    async def kill(self, number: int) -> None:
        process = self.processes[number]
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
            self.kills += 1

    async def stop_all(self) -> None:
        for process in self.processes:
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            if process is not None:
                try:
                    await asyncio.wait_for(process.wait(), TIMEOUT)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _owner(world: TimedWorld, owner: int, reports: int, done: list[int]) -> None:
    for _ in range(reports):
        for _attempt in range(20):
            try:
                await report_until_receipt(world, owner)
                done.append(owner)
                break
            except (TimeoutError, AssertionError, IndexError):
                continue  # a worker died holding the chat, or the report's answer got lost


async def _killer(workers: Workers, kills: int, rng: random.Random) -> None:
    while workers.kills < kills:
        await asyncio.sleep(rng.uniform(0.5, 1.5))
        number = rng.randrange(len(workers.ports))
        await workers.kill(number)
        await asyncio.sleep(0.3)
        await workers.start(number)


async def _rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    """A query's rows, from a PostgreSQL URL or a SQLite file's path."""
    if not database.startswith("postgres"):
        with sqlite3.connect(database) as conn:
            return list(conn.execute(sql))
    conn = await asyncpg.connect(backends.plain(database))
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _scalar(database: str, sql: str) -> int:
    return int((await _rows(database, sql))[0][0] or 0)


async def _drained(database: str, world: TimedWorld) -> None:
    """Wait until nothing is left in the inbox or due in the outbox."""
    deadline = time.monotonic() + TIMEOUT * 2
    while time.monotonic() < deadline:
        inbox = await _scalar(database, "SELECT count(*) FROM inbox WHERE NOT unreadable")
        outbox = await _scalar(database, "SELECT count(*) FROM outbox WHERE status = 'pending'")
        if inbox == 0 and outbox == 0:
            return
        await asyncio.sleep(0.2)


def _receipts(world: TimedWorld) -> set[int]:
    return {
        int(m.group(1))
        for message in world.sent_to(GROUP)
        if (m := re.search(r"已受理 #(\d+)", message.content or ""))
    }


def _cards(world: TimedWorld) -> dict[int, int]:
    sent: dict[int, int] = {}
    for call in world.calls:
        if call.ok and call.method == "sendMessage" and call.params.get("chat_id") in SQUAD_CHATS:
            text = re.sub(r"<[^>]+>", "", str(call.params.get("text", "")))
            if m := re.match(r"🆕 #(\d+)", text):
                sent[int(m.group(1))] = sent.get(int(m.group(1)), 0) + 1
    return sent


async def _verdict(database: str, world: TimedWorld, hooks: Webhooks) -> dict[str, Any]:
    tickets = {row[0] for row in await _rows(database, "SELECT id FROM tickets")}
    inbox = await _scalar(database, "SELECT count(*) FROM inbox WHERE NOT unreadable")
    unreadable = await _scalar(database, "SELECT count(*) FROM inbox WHERE unreadable")
    outbox = await _scalar(database, "SELECT count(*) FROM outbox WHERE status = 'pending'")
    steps_twice = await _scalar(
        database,
        "SELECT count(*) FROM (SELECT ticket_id, detail FROM ticket_events"
        " WHERE kind = 'escalated' GROUP BY ticket_id, detail HAVING count(*) > 1) AS twice",
    )
    claims_twice = await _scalar(
        database,
        "SELECT count(*) FROM (SELECT ticket_id FROM ticket_events WHERE kind = 'claimed'"
        " GROUP BY ticket_id, detail HAVING count(*) > 1) AS twice",
    )
    digests_twice = await _scalar(
        database,
        "SELECT count(*) FROM (SELECT day, chat_id FROM digest_log"
        " GROUP BY day, chat_id HAVING count(*) > 1) AS twice",
    )
    receipts = _receipts(world)
    cards = _cards(world)
    return {
        "updates_acknowledged": len(hooks.acknowledged),
        "posts_retried": hooks.retries,
        "receipts": len(receipts),
        "tickets": len(tickets),
        "receipts_without_ticket": sorted(receipts - tickets),
        "tickets_without_card": sorted(tickets - set(cards)),
        "cards_sent_twice": sorted(n for n, count in cards.items() if count > 1),
        "inbox_left": inbox,
        "inbox_unreadable": unreadable,
        "outbox_pending": outbox,
        "escalation_steps_twice": steps_twice,
        "claims_twice": claims_twice,
        "digests_twice": digests_twice,
    }


def passed(result: dict[str, Any]) -> bool:
    return (
        not result["receipts_without_ticket"]
        and not result["tickets_without_card"]
        and result["inbox_left"] == 0
        and result["inbox_unreadable"] == 0
        and result["outbox_pending"] == 0
        and result["escalation_steps_twice"] == 0
        and result["claims_twice"] == 0
        and result["digests_twice"] == 0
    )


async def run(
    server: str | None,
    workers: int,
    owners: int,
    reports: int,
    kills: int,
    seed: int = 7,
    faults: float = 0.0,
) -> dict[str, Any]:
    """One run: ``owners`` shop owners report ``reports`` times each through ``workers``
    workers, with ``kills`` SIGKILLs; the verdict and the rate. ``server`` None: one
    SQLite file instead of a PostgreSQL database."""
    world = district_world(owners)
    injected = TelegramFaults(faults, random.Random(seed + 1)) if faults else None
    world.faults = injected
    with tempfile.TemporaryDirectory(prefix="griddesk-workers-") as tmp:
        if server is None:
            database = str(Path(tmp) / "district.db")
            migrate(database)
        else:
            database = await backends.create_scratch(server, "griddesk_workers")
        try:
            async with StandinServer(world, TOKEN) as standin:
                pool = Workers(tmp, standin.base_url, database, workers)
                balancer = Balancer(pool.ports)
                await balancer.start()
                hooks = Webhooks(world, balancer.url)
                posting = asyncio.create_task(hooks.run())
                try:
                    await pool.start_all()
                    done: list[int] = []
                    started = time.perf_counter()
                    load = asyncio.gather(
                        *(_owner(world, FIRST_OWNER + i, reports, done) for i in range(owners))
                    )
                    killing = asyncio.create_task(_killer(pool, kills, random.Random(seed)))
                    await load
                    elapsed = time.perf_counter() - started
                    killing.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await killing
                    for number, process in enumerate(pool.processes):
                        if process is None or process.returncode is not None:
                            await pool.start(number)
                    await _drained(database, world)
                finally:
                    posting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await posting
                    await pool.stop_all()
                    await balancer.stop()
                result = await _verdict(database, world, hooks)
                result.update(
                    workers=workers,
                    kills=pool.kills,
                    telegram_faults=injected.injected if injected else 0,
                    reports_planned=owners * reports,
                    reports_finished=len(done),
                    seconds=round(elapsed, 2),
                    reports_per_second=round(len(done) / elapsed, 2),
                )
                return result
        finally:
            if server is not None:
                await backends.drop_scratch(server, database)


async def throughput(server: str, owners: int, reports: int) -> list[dict[str, Any]]:
    """The same load without kills: one worker on SQLite, then 1, 2 and 3 on PostgreSQL."""
    rows = []
    for label, target, count in (
        ("sqlite, 1 worker", None, 1),
        ("postgresql, 1 worker", server, 1),
        ("postgresql, 2 workers", server, 2),
        ("postgresql, 3 workers", server, 3),
    ):
        result = await run(target, count, owners, reports, kills=0)
        rows.append({"setup": label, **result})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("GRIDDESK_TEST_POSTGRES"))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--owners", type=int, default=6)
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests failed")
    args = parser.parse_args()
    if not args.database:
        parser.error("give --database postgresql://... (or set GRIDDESK_TEST_POSTGRES)")
    if args.throughput:
        rows = asyncio.run(throughput(args.database, args.owners, args.reports))
        for row in rows:
            print(
                f"{row['setup']:<24} {row['reports_per_second']:>6} reports/s"
                f"  ({row['reports_finished']} in {row['seconds']} s; passed: {passed(row)})"
            )
        raise SystemExit(0 if all(passed(row) for row in rows) else 1)
    result = asyncio.run(
        run(
            args.database,
            args.workers,
            args.owners,
            args.reports,
            args.kills,
            args.seed,
            args.faults,
        )
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
    raise SystemExit(0 if passed(result) else 1)


if __name__ == "__main__":
    main()

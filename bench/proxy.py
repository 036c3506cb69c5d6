"""CPU per Bot API request through a proxy: GridDesk's aiohttp client against PTB's httpx.

    python -m bench.proxy [--requests N] [--rounds R]

The stand-in and a forwarding HTTP proxy and a SOCKS5 proxy (both on loopback, written here
and used by tests/test_proxy.py too) run in a child process, so the CPU this process spends
is the client's alone: ``N`` sequential sendMessage calls, directly and through each proxy,
in ``R`` interleaved rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from handlers.http import AiohttpRequest

TOKEN = "7000000002:proxy-bench-token"
CHAT = -1_001_000_000_002
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class _Loopback:
    """An asyncio server on 127.0.0.1 that ends its open connections when stopped."""

    credentials: tuple[str, str] | None = None
    port: int = 0
    tls: ssl.SSLContext | None = field(default=None, repr=False)  # an https:// proxy
    _server: asyncio.Server | None = field(default=None, repr=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def url(self, scheme: str) -> str:
        user = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"{scheme}://{user}127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def __aenter__(self) -> Any:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # stopping; Python 3.11's server calls exception() on its handler tasks
        finally:
            self._tasks.discard(task)
            writer.close()

    async def exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


async def _read_message(reader: asyncio.StreamReader) -> tuple[list[str], dict[str, str], bytes]:
    """One HTTP/1.1 message with a Content-Length body: its head lines, headers, body."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")[:-2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return lines, headers, body


@dataclass
class HttpProxy(_Loopback):
    """A forwarding HTTP proxy (absolute-form requests, no CONNECT), keep-alive both ways.

    ``seen`` holds each forwarded request line, e.g. ``POST http://127.0.0.1:8081/bot.../getMe``.
    """

    seen: list[str] = field(default_factory=list)
    refused: int = 0

    async def exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while not reader.at_eof():
                lines, headers, body = await _read_message(reader)
                method, target, version = lines[0].split(" ")
                if not self._authorised(headers.get("proxy-authorization", "")):
                    self.refused += 1
                    writer.write(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="griddesk"\r\n'
                        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    await writer.drain()
                    return
                self.seen.append(f"{method} {target}")
                parts = urlsplit(target)
                if upstream is None:
                    upstream = await asyncio.open_connection(parts.hostname, parts.port or 80)
                origin = parts.path + (f"?{parts.query}" if parts.query else "")
                kept = [line for line in lines[1:] if not line.lower().startswith("proxy-")]
                head = "\r\n".join([f"{method} {origin} {version}", *kept]) + "\r\n\r\n"
                upstream[1].write(head.encode("latin-1") + body)
                answer, answer_headers, answer_body = await _read_message(upstream[0])
                writer.write("\r\n".join(answer).encode("latin-1") + b"\r\n\r\n" + answer_body)
                await writer.drain()
                if answer_headers.get("connection", "").lower() == "close":
                    return
        finally:
            if upstream is not None:
                upstream[1].close()

    def _authorised(self, header: str) -> bool:
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return header == f"Basic {expected}"


@dataclass
class SocksProxy(_Loopback):
    """A SOCKS5 proxy (RFC 1928 CONNECT, RFC 1929 username and password when configured).

    ``targets`` holds each destination as the client named it (a host name stays a name,
    so the proxy resolved it); ``sent`` the bytes clients sent through it.
    """

    targets: list[tuple[str, int]] = field(default_factory=list)
    sent: bytearray = field(default_factory=bytearray, repr=False)
    refused: int = 0
    keep_sent: bool = True

    async def exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        method = 0x02 if self.credentials else 0x00
        if method not in methods:
            writer.write(b"\x05\xff")
            return
        writer.write(bytes([5, method]))
        if self.credentials:
            _sub, length = await reader.readexactly(2)
            user = (await reader.readexactly(length)).decode()
            length = (await reader.readexactly(1))[0]
            password = (await reader.readexactly(length)).decode()
            if (user, password) != self.credentials:
                self.refused += 1
                writer.write(b"\x01\x01")
                return
            writer.write(b"\x01\x00")
        _version, command, _reserved, kind = await reader.readexactly(4)
        if command != 1:
            writer.write(b"\x05\x07\x00\x01" + bytes(6))  # only CONNECT
            return
        if kind == 1:
            host = ".".join(str(b) for b in await reader.readexactly(4))
        elif kind == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            writer.write(b"\x05\x08\x00\x01" + bytes(6))  # address type not supported
            return
        port = int.from_bytes(await reader.readexactly(2), "big")
        self.targets.append((host, port))
        up_reader, up_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(6))
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, record=self.keep_sent),
                self._pump(up_reader, writer, record=False),
            )
        finally:
            up_writer.close()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, record: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if record:
                    self.sent += data
                sink.write(data)
                await sink.drain()
            sink.close()


async def _serve_for_bench() -> None:
    """The child process: stand-in and proxies; print their addresses, run until killed."""
    from standin import StandinServer, World

    world = World(api_json=None)
    world.add_user(501, "Bob")
    world.add_chat(CHAT, title="Street", members=[501])
    async with (
        StandinServer(world, TOKEN) as server,
        HttpProxy() as http,
        SocksProxy(keep_sent=False) as socks,
    ):
        ports = {"standin": server.port, "http": http.port, "socks": socks.port}
        print(json.dumps(ports), flush=True)
        await asyncio.Event().wait()


class _Replay(BaseRequest):
    """No client: each endpoint's first answer, replayed (what PTB costs on its own)."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.answers: dict[str, tuple[int, bytes]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if url not in self.answers:
            self.answers[url] = await self.inner.do_request(url, method, *args, **kwargs)
        return self.answers[url]


async def _per_request(
    client: str, proxy: str | None, base_url: str, count: int
) -> tuple[float, float]:
    """Milliseconds of this process's CPU, and of wall time, per sendMessage after a warm-up."""
    request: BaseRequest
    if client == "aiohttp":
        request = AiohttpRequest(proxy=proxy, trust_env=False)
    elif client == "httpx":
        request = HTTPXRequest(proxy=proxy)
    else:
        request = _Replay(AiohttpRequest(trust_env=False))
    async with Bot(TOKEN, base_url=base_url, request=request) as bot:
        for _ in range(min(50, count)):
            await bot.send_message(CHAT, "warm-up")
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(count):
            await bot.send_message(CHAT, "占道经营 at the market gate")
        cpu = time.process_time() - cpu_started
        return cpu * 1000 / count, (time.perf_counter() - started) * 1000 / count


async def measure(count: int, rounds: int) -> dict[str, Any]:
    """Run the child, then each client directly and through each proxy, ``rounds`` times in
    turn (the machine is shared: interleaving gives each the same noise); the medians."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.proxy", "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        ports = json.loads(child.stdout.readline())
        base_url = f"http://127.0.0.1:{ports['standin']}/bot"
        routes = {
            "direct": None,
            "http proxy": f"http://127.0.0.1:{ports['http']}",
            "socks5 proxy": f"socks5h://127.0.0.1:{ports['socks']}",
        }
        samples: dict[str, list[tuple[float, float]]] = {}
        results: dict[str, Any] = {"machine": _machine(), "requests": count, "rounds": rounds}
        runs: list[tuple[str, str | None, str]] = [("PTB alone, no client", None, "none")]
        runs += [(f"{c}, {r}", p, c) for r, p in routes.items() for c in ("aiohttp", "httpx")]
        for _ in range(rounds):
            for name, proxy, client in runs:
                try:
                    sample = await _per_request(client, proxy, base_url, count)
                except ImportError as exc:  # httpx without its socks extra (socksio)
                    results[name] = f"not measured: {exc}"
                    continue
                samples.setdefault(name, []).append(sample)
        for name, taken in samples.items():
            results[name] = {
                "cpu_ms": round(statistics.median(cpu for cpu, _ in taken), 3),
                "cpu_ms_range": [
                    round(min(c for c, _ in taken), 3),
                    round(max(c for c, _ in taken), 3),
                ],
                "wall_ms": round(statistics.median(wall for _, wall in taken), 3),
            }
        alone = results.get("PTB alone, no client")
        for figures in results.values():
            if isinstance(figures, dict) and isinstance(alone, dict) and figures is not alone:
                # What the client itself adds to PTB's own work on a request.
                figures["client_cpu_ms"] = round(figures["cpu_ms"] - alone["cpu_ms"], 3)
        return results
    finally:
        child.kill()
        child.wait()


def _machine() -> str:
    model = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve_for_bench())
        return
    print(
        json.dumps(
            asyncio.run(measure(options.requests, options.rounds)), indent=2, ensure_ascii=False
        )
    )


if __name__ == "__main__":
    main()

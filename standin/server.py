"""The world served over HTTP on loopback, at Telegram's URL layout ``/bot<token>/<method>``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from types import TracebackType
from urllib.parse import parse_qsl, unquote, urlsplit

from standin.errors import ApiError
from standin.model import ApiResponse
from standin.wire import (
    HttpRequest,
    WireError,
    decode_body,
    encode_response,
    read_request,
)
from standin.world import World

_ROUTE_RE = re.compile(r"/bot([^/]+)/([^/]+)")
STATS_PATH = "/standin/limits"
_LOG = logging.getLogger(__name__)


class StandinServer:
    """An HTTP/1.1 front for a World on 127.0.0.1 (keep-alive, so httpx can pool).

    Use as ``async with StandinServer(world, token) as server:`` and point the client's
    ``base_url`` at ``server.base_url``.  A wrong token is answered with 401 Unauthorized.
    ``GET /standin/limits`` answers the flood-limit refusals so far (see ``FloodLimits.stats``),
    for a benchmark that runs the stand-in in another process.
    """

    def __init__(self, world: World, token: str, *, host: str = "127.0.0.1", port: int = 0):
        self.world = world
        self.token = token
        self.host = host
        self.port = port
        self.requests_served = 0
        self.connections_opened = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def base_url(self) -> str:
        """The prefix to give PTB as ``base_url`` (the token and method are appended)."""
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> None:
        """Listen on the configured port (0 picks a free one, readable from ``port``)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every open connection, ending pending long polls."""
        if self._server is None:
            return
        self._server.close()
        self._stopping = True
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
        self._stopping = False

    async def __aenter__(self) -> StandinServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_opened += 1
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, WireError, ValueError):
            pass  # the client went away or spoke something that is not HTTP
        except asyncio.CancelledError:
            # Python 3.11's stream server inspects handler tasks with task.exception(), which
            # raises for a cancelled task; ending normally keeps shutdown quiet.
            if not self._stopping:
                raise
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            if request is None:
                return
            response = await self._respond(request)
            self.requests_served += 1
            if response.dropped:
                writer.transport.abort()
                return
            body = response.body()
            writer.write(encode_response(response.status, body, keep_alive=request.keep_alive))
            await writer.drain()
            if not request.keep_alive:
                return

    async def _respond(self, request: HttpRequest) -> ApiResponse:
        url = urlsplit(request.target)
        if url.path == STATS_PATH:
            limits = self.world.limits
            stats = limits.stats() if limits is not None else {"rejected_total": 0, "rejected": {}}
            return ApiResponse(200, {"ok": True, "result": stats})
        route = _ROUTE_RE.fullmatch(unquote(url.path))
        if route is None:
            return ApiResponse(404, ApiError(404, "Not Found").payload())
        if route.group(1) != self.token:
            return ApiResponse(401, ApiError(401, "Unauthorized").payload())
        try:
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            params.update(decode_body(request))
        except (WireError, UnicodeDecodeError, json.JSONDecodeError):
            return ApiResponse(400, ApiError(400, "Bad Request: can't parse request").payload())
        try:
            return await self.world.call(route.group(2), params)
        except Exception:
            # A defect in the stand-in must not look like a hung Telegram to the bot.
            _LOG.exception("stand-in failed on %s", route.group(2))
            return ApiResponse(500, ApiError(500, "Internal Server Error").payload())

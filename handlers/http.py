"""python-telegram-bot's HTTP requests over aiohttp.

PTB ships one HTTP client, httpx. Measured on the project's machine against the Bot API
stand-in on loopback, one request through httpx costs about 1 ms of CPU and through aiohttp
about 0.2 ms; a report costs a dozen requests, so the client was most of the bot's CPU.
Through a proxy the gap stays about 3x (``python -m bench.proxy``).
Telegram's answers and errors map onto PTB's exceptions exactly as ``HTTPXRequest`` does.

A proxy (``telegram.proxy``) carries every request: an http or https proxy through aiohttp
itself, a SOCKS5 one through aiohttp-socks' connector. Both ``socks5`` and ``socks5h`` let
the proxy resolve Telegram's name, as httpx does: a resolver in mainland China may answer
wrongly for api.telegram.org.
"""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp_socks import ProxyConnectionError, ProxyConnector, ProxyError, ProxyTimeoutError
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

from bot.core.logs import add_secret, redact

SOCKS_SCHEMES = ("socks5", "socks5h")

_BOT_PATH = re.compile(r"/bot[^/\s'\"]+/")


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of keep-alive connections to the Bot API."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        trust_env: bool = True,
        proxy: str | None = None,
    ) -> None:
        """``proxy`` (a URL checked by ``bot.config.check_proxy_url``) carries every request;
        without it ``trust_env`` takes the proxy from HTTPS_PROXY / HTTP_PROXY."""
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._trust_env = trust_env
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._session: aiohttp.ClientSession | None = None
        self._socks = proxy if proxy and urlsplit(proxy).scheme in SOCKS_SCHEMES else None
        self._http_proxy = URL(proxy) if proxy and not self._socks else None
        _hide_password(proxy)

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = (
                # rdns: the proxy resolves the host name, for socks5 as for socks5h.
                ProxyConnector.from_url(_as_socks5(self._socks), rdns=True, limit=self._pool_size)
                if self._socks
                else aiohttp.TCPConnector(limit=self._pool_size)
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # aiohttp's own trust_env also reads ~/.netrc on a worker thread for every
                # request; the proxy is looked up here instead, once per host (_proxy_for).
                trust_env=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        body: aiohttp.FormData | dict[str, str] | None = None
        if files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items() if request_data else ():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime_type)
            body = form
        elif request_data is not None:
            body = request_data.json_parameters
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = self._write_timeout if not files else self._media_write_timeout
        if not isinstance(write_timeout, DefaultValue):
            write = write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no separate write timeout; it bounds the wait for each read.
            sock_read=_longest(read, write),
            sock_connect=connect,
            connect=None if connect is None or pool is None else connect + pool,
        )
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy_for(url)
            ) as answer:
                return answer.status, await answer.read()
        except (TimeoutError, ProxyTimeoutError) as exc:  # aiohttp's own are TimeoutErrors
            raise TimedOut from exc
        except (aiohttp.ClientError, ProxyConnectionError, ProxyError) as exc:
            # The URL holds the token, a proxy's URL its password, and an error's text may
            # reach a log or the database.
            text = redact(_BOT_PATH.sub("/bot<token>/", str(exc)), "")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {text}") from exc

    def _proxy_for(self, url: str) -> URL | str | None:
        """The configured http(s) proxy; else, like httpx's default, the proxy HTTPS_PROXY /
        HTTP_PROXY names, unless NO_PROXY exempts the host. None through a SOCKS proxy,
        which the connector already is."""
        if self._http_proxy is not None or self._socks is not None:
            return self._http_proxy
        if not self._trust_env:
            return None
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies_environment()
            # In the module since Python 3.2, though not in its type stubs.
            exempt = urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
                key[1], proxies
            )
            self._proxies[key] = None if exempt else proxies.get(key[0])
            _hide_password(self._proxies[key])
        proxy = self._proxies[key]
        if proxy is not None and urlsplit(proxy).scheme in SOCKS_SCHEMES:
            # aiohttp would speak HTTP to it; the connector that speaks SOCKS is per session.
            raise NetworkError(
                f"{key[0].upper()}_PROXY names a SOCKS proxy: set telegram.proxy instead"
            )
        return proxy


def _hide_password(proxy: str | None) -> None:
    """Redact a proxy URL's password from the logs (aiohttp's error for a refused CONNECT
    quotes the proxy URL); python-socks and aiohttp may quote it either way."""
    password = urlsplit(proxy).password if proxy else None
    if password:
        add_secret(password, "<password>")
        add_secret(unquote(password), "<password>")


def _as_socks5(url: str) -> str:
    """python-socks reads only ``socks5://``; resolving remotely is set apart (``rdns``)."""
    return "socks5://" + url.split("://", 1)[1]


def _longest(*timeouts: float | None) -> float | None:
    if any(timeout is None for timeout in timeouts):
        return None
    return max(timeout for timeout in timeouts if timeout is not None)

"""Test doubles that connect python-telegram-bot to the stand-in world without a network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from standin import Upload, World


@dataclass(eq=False)
class InProcessBotApi(BaseRequest):
    """A PTB request backend that hands every call straight to ``world.call``.

    The method name is the last URL path segment; parameters are PTB's already-built Python
    values, plus uploaded files (which PTB keeps out of ``parameters``) as ``Upload``.
    With ``token`` set, calls for another token are answered 401 like Telegram does.
    An injected dropped-connection fault surfaces as ``NetworkError``, as with HTTPXRequest.
    """

    world: World
    token: str | None = None

    @property
    def read_timeout(self) -> float | None:
        """No transport timeout: the world answers (or long-polls) within the call."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one PTB request from the world; returns (HTTP status, JSON body)."""
        prefix, _, api_method = url.rstrip("/").rpartition("/")
        if self.token is not None and not prefix.endswith(f"/bot{self.token}"):
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            params.update(_uploads(request_data, params))
        response = await self.world.call(api_method, params)
        if response.dropped:
            raise NetworkError(
                "httpx.RemoteProtocolError: Server disconnected without sending a response."
            )
        return response.status, response.body()


def _uploads(request_data: RequestData, params: dict[str, Any]) -> dict[str, Upload]:
    uploads: dict[str, Upload] = {}
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        if name in params:
            continue  # referenced as attach://name from another parameter
        data = content if isinstance(content, bytes) else content.read()
        uploads[name] = Upload(filename or name, data, mime_type or "application/octet-stream")
    return uploads

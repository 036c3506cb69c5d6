"""Just enough HTTP/1.1 for the stand-in: read requests, decode bodies, write responses."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from standin.model import Upload

MAX_HEADER_LINES = 100
_PARAM_RE = re.compile(r';\s*([\w*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^;]*))')


class WireError(Exception):
    """The bytes on the connection are not an HTTP request we can read."""


@dataclass
class HttpRequest:
    """One parsed request: verb, target (path and query), headers (lower-case) and body."""

    verb: str
    target: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def keep_alive(self) -> bool:
        """Whether the client expects the connection to stay open after the answer."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; None when the client closed the connection between requests."""
    line = await reader.readline()
    if not line:
        return None
    try:
        verb, target, version = line.decode("latin-1").strip().split(" ")
    except ValueError:
        raise WireError(f"bad request line {line!r}") from None
    request = HttpRequest(verb.upper(), target, version)
    for _ in range(MAX_HEADER_LINES):
        header = (await reader.readline()).decode("latin-1")
        if header in ("\r\n", "\n", ""):
            break
        name, _, value = header.partition(":")
        request.headers[name.strip().lower()] = value.strip()
    else:
        raise WireError("too many header lines")
    if request.headers.get("transfer-encoding", "").lower() == "chunked":
        request.body = await _read_chunked(reader)
    elif "content-length" in request.headers:
        request.body = await reader.readexactly(int(request.headers["content-length"]))
    return request


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readline()


def _header_params(value: str) -> dict[str, str]:
    return {
        match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _PARAM_RE.finditer(value)
    }


def decode_body(request: HttpRequest) -> dict[str, Any]:
    """Decode a form-urlencoded, multipart or JSON body into a parameter dictionary.

    Values stay as sent (strings, Upload for file parts, JSON values for JSON bodies).
    """
    if not request.body:
        return {}
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        decoded = json.loads(request.body)
        if not isinstance(decoded, dict):
            raise WireError("JSON body must be an object")
        return decoded
    if media_type == "multipart/form-data":
        boundary = _header_params(content_type).get("boundary")
        if not boundary:
            raise WireError("multipart body without boundary")
        return _multipart(request.body, boundary)
    return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))


def _multipart(body: bytes, boundary: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = _header_params(headers.get("content-disposition", ""))
        if "name" not in disposition:
            raise WireError("multipart part without a name")
        if "filename" in disposition:
            mime = headers.get("content-type", "application/octet-stream")
            fields[disposition["name"]] = Upload(disposition["filename"], content, mime)
        else:
            fields[disposition["name"]] = content.decode("utf-8")
    return fields


def encode_response(status: int, body: bytes, *, keep_alive: bool) -> bytes:
    """Serialise a JSON response with the headers an HTTP/1.1 client needs."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Server: griddesk-standin\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body

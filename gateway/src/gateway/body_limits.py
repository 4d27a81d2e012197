"""Request bodies are capped as they arrive, before any route or form parser holds them:

- any body over `max_request_bytes` is refused with 413: at once when its Content-Length says
  so, otherwise at the chunk that crosses the limit (a chunked upload declares no length);
- in a multipart body, a file part over `max_upload_bytes` is refused with 413 at the chunk that
  crosses the limit, so the form parser behind (which would otherwise spool a file of any size
  to a temporary file) never holds more of an upload than the limit.

The chunks are watched on their way in with the same multipart parser the form parser uses, so
both see the same parts. A refusal raised while a route reads the body becomes the 413 envelope
through the gateway's HTTPException handler; one raised anywhere else is answered here. Either
way the rest of the body is read and dropped first (bounded: DRAIN_BYTES, DRAIN_SECONDS), so a
client still sending gets the answer rather than a reset connection.
"""

import asyncio
import json
from typing import Any

from fastapi import HTTPException
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A refused body still being sent is read and dropped up to this much, for this long, so that
# the client reads the 413 (past it the connection is closed, as a proxy's lingering close
# would).
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 10.0


class BodyTooLarge(HTTPException):
    """413; a FastAPI HTTPException, so FastAPI passes it on when a route's body read raises it
    (any other error there becomes 400 "error parsing the body")."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


def _size(limit: int) -> str:
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if limit % unit == 0:
            return f"{limit // unit}{name}"
    return f"{limit:,} bytes"


def request_too_large(limit: int) -> str:
    return f"요청이 너무 커요. {_size(limit)} 이하로 보내주세요. (request body too large)"


def upload_too_large(limit: int) -> str:
    return f"사진이 너무 커요. {_size(limit)} 이하로 보내주세요. (file too large)"


class _FilePartWatcher:
    """Counts the bytes of each file part of a multipart body as its chunks go by."""

    def __init__(self, boundary: bytes, limit: int) -> None:
        self._limit = limit
        self._in_file = False
        self._size = 0
        self._header_name = b""
        self._disposition = b""
        self._broken = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begins,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
            },
        )

    def _part_begins(self) -> None:
        self._in_file, self._size, self._disposition = False, 0, b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition += data[start:end]

    def _header_end(self) -> None:
        self._header_name = b""

    def _headers_finished(self) -> None:
        # A part with a filename is a file (as the form parser decides it).
        _, options = parse_options_header(self._disposition)
        self._in_file = b"filename" in options

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._size += end - start
            if self._size > self._limit:
                raise BodyTooLarge(upload_too_large(self._limit))

    def feed(self, chunk: bytes) -> None:
        if self._broken or not chunk:
            return
        try:
            self._parser.write(chunk)
        except FormParserError:
            # Malformed multipart: the form parser behind refuses it (400) on the same bytes;
            # the request cap still holds.
            self._broken = True


def _file_watcher(headers: Headers, limit: int) -> _FilePartWatcher | None:
    content_type, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return None
    return _FilePartWatcher(boundary, limit)


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def _drain(receive: Receive) -> bool:
    """Reads and drops what is left of a refused body, within a bound; True when all of it was
    read. A client still sending when the server answers and closes would see the connection
    reset instead of the 413 (nothing is kept: this costs bandwidth, never memory)."""
    drained = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while drained <= DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return False
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return True
    except TimeoutError:
        pass
    return False


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_request_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self._max_request = max_request_bytes
        self._max_upload = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = _declared_length(headers)
        if declared is not None and declared > self._max_request:
            # Refused from its length alone. A client that waits for "100 Continue" never sends
            # the body (asking for it is what would make the server send that); any other is
            # already sending, and is drained so it reads the answer.
            waits = headers.get("expect", "").lower() == "100-continue"
            complete = False if waits else await _drain(receive)
            await _refuse(send, request_too_large(self._max_request), close=not complete)
            return
        watcher = _file_watcher(headers, self._max_upload)
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                try:
                    if received > self._max_request:
                        raise BodyTooLarge(request_too_large(self._max_request))
                    if watcher is not None:
                        watcher.feed(chunk)
                except BodyTooLarge:
                    refused = message.get("more_body", False)
                    raise
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started, refused
            if message["type"] == "http.response.start":
                started = True
                if refused:
                    # The app answers the refusal (413 through its handler): the rest of the
                    # body first, so the client reads that answer.
                    refused = False
                    await _drain(receive)
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge as error:
            if started:
                raise
            complete = not refused or await _drain(receive)
            await _refuse(send, str(error.detail), close=not complete)


async def _refuse(send: Send, message: str, *, close: bool) -> None:
    body: dict[str, Any] = {"status": "fail", "message": message, "data": None}
    headers = [(b"content-type", b"application/json")]
    if close:
        # Part of the body was never read: the connection cannot carry another request.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send(
        {"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()}
    )

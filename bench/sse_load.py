"""A lean SSE load client on raw asyncio streams (no HTTP library per stream).

One stream: a new TCP connection, `GET` over HTTP/1.1 without cookies (so the gateway makes a
new guest), the status line and headers, then the body (chunked or not) read as SSE lines. Only
`event:` lines and the `room` event's `data:` are looked at, so thousands of streams cost the
client little CPU. With `on_event`, `id:` lines are read too and each event with an id is
handed over with the time its `id:` line arrived (bench_sse.py's relay phase).
"""

import asyncio
import contextlib
import json
import resource
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

STREAM_PATH = "/api/chat/rooms/messages/stream"


def raise_fd_limit() -> int:
    """Lifts this process's open-file limit to its hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class StreamResult:
    started: float = 0.0  # perf_counter before connecting
    status: int | None = None
    error: str | None = None  # connection errors, error events, early ends
    first_event: float | None = None  # seconds after `started`
    first_content: float | None = None
    ended: float | None = None
    contents: int = 0
    completes: int = 0
    final: bool = False
    room_id: str | None = None
    events: Counter = field(default_factory=Counter)
    cookies: dict[str, str] = field(default_factory=dict)  # from the response's Set-Cookie


# Called for each event with an `id:` line: the stream's result, the id, the event name and
# the perf_counter() time the `id:` line arrived.
OnEvent = Callable[[StreamResult, str, str, float], None]


class Load:
    """Open streams and their counts, shared by the streams and the samplers."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.open = 0  # streams with a 200 answer, not yet ended
        self.peak = 0
        self.connecting = 0
        self.results: list[StreamResult] = []
        self.peak_listeners: list = []  # called with the new peak

    def _opened(self) -> None:
        self.open += 1
        if self.open > self.peak:
            self.peak = self.open
            for listener in self.peak_listeners:
                listener(self.peak)

    def request(self, text: str) -> bytes:
        return (
            f"GET {STREAM_PATH}?user_input={quote(text)} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\nAccept: text/event-stream\r\n"
            "Cache-Control: no-cache\r\nUser-Agent: bench-sse\r\n\r\n"
        ).encode()

    async def stream(
        self,
        text: str,
        *,
        stop_after_first: bool = False,
        hold: asyncio.Event | None = None,
        rst: bool = False,
        limit_seconds: float = 600.0,
        on_event: OnEvent | None = None,
    ) -> StreamResult:
        """One turn. `stop_after_first`: leave after the first event (churn). `hold`: after the
        first event, wait for this event and then drop the connection without reading (dead
        peer; `rst` sets SO_LINGER 0 so the close is a reset). `on_event`: called at the end of
        each event that has an id."""
        result = StreamResult(started=time.perf_counter())
        self.results.append(result)
        writer = None
        opened = False
        try:
            self.connecting += 1
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 16)
            finally:
                self.connecting -= 1
            writer.write(self.request(text))
            async with asyncio.timeout(limit_seconds):
                result.status, chunked, result.cookies = await _read_head(reader)
                if result.status != 200:
                    return result
                self._opened()
                opened = True
                lines = _chunked_lines(reader) if chunked else _plain_lines(reader)
                event = b""
                event_id: str | None = None
                id_at = 0.0
                async for line in lines:
                    if on_event is not None and line.startswith(b"id:"):
                        id_at = time.perf_counter()
                        event_id = line[3:].strip().decode()
                    elif line.startswith(b"event:"):
                        event = line[6:].strip()
                        now = time.perf_counter() - result.started
                        if result.first_event is None:
                            result.first_event = now
                        result.events[event.decode()] += 1
                        if event == b"content":
                            result.contents += 1
                            if result.first_content is None:
                                result.first_content = now
                        elif event == b"complete":
                            result.completes += 1
                        elif event == b"final_complete":
                            result.final = True
                        elif event == b"error":
                            result.error = "error event"
                    elif line.startswith(b"data:") and event == b"room" and not result.room_id:
                        with contextlib.suppress(ValueError, TypeError, AttributeError):
                            data = json.loads(line[5:])
                            result.room_id = str((data.get("data") or data)["room_id"])
                    elif not line and result.first_event is not None:
                        if event_id is not None and on_event is not None:
                            on_event(result, event_id, event.decode(), id_at)
                            event_id = None
                        if stop_after_first:
                            return result
                        if hold is not None:
                            await hold.wait()
                            if rst:
                                sock = writer.get_extra_info("socket")
                                sock.setsockopt(
                                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                                )
                            writer.transport.abort()
                            writer = None
                            return result
                        if result.final:
                            return result
                if not result.final and result.error is None:
                    result.error = "ended before final_complete"
        except TimeoutError:
            result.error = "client timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            result.error = f"{type(error).__name__}"
        except asyncio.CancelledError:
            result.error = result.error or "cancelled (hold over)"
            raise
        finally:
            result.ended = time.perf_counter() - result.started
            if opened:
                self.open -= 1
            if writer is not None:
                writer.transport.abort()  # no lingering close handshake to wait for
        return result


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, bool, dict[str, str]]:
    """The status, whether the body is chunked, and the cookies set (name: value)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    chunked = any(
        line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
        for line in lines[1:]
    )
    cookies = {}
    for line in lines[1:]:
        if line.lower().startswith(b"set-cookie:"):
            name, _, value = line[11:].split(b";", 1)[0].strip().decode().partition("=")
            cookies[name] = value.strip('"')
    return status, chunked, cookies


async def _plain_lines(reader: asyncio.StreamReader):
    while True:
        line = await reader.readline()
        if not line:
            return
        yield line.rstrip(b"\r\n")


async def _chunked_lines(reader: asyncio.StreamReader):
    pending = b""
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            if pending:
                yield pending.rstrip(b"\r")
            return
        pending += await reader.readexactly(size)
        await reader.readexactly(2)
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r")


def summarize(results: list[StreamResult]) -> dict:
    """Error kinds, latency percentiles, counts."""
    errors: Counter = Counter()
    for r in results:
        if r.status is None:
            errors[f"connection: {r.error}"] += 1
        elif r.status != 200:
            errors[f"HTTP {r.status}"] += 1
        elif r.error:
            errors[f"stream: {r.error}"] += 1
    ok = [r for r in results if r.status == 200]
    first = [r.first_event * 1000 for r in ok if r.first_event is not None]
    content = [r.first_content * 1000 for r in ok if r.first_content is not None]
    return {
        "streams": len(results),
        "ok_200": len(ok),
        "finals": sum(r.final for r in ok),
        "contents": sum(r.contents for r in ok),
        "completes": sum(r.completes for r in ok),
        "errors": errors,
        "first_event_ms": (percentile(first, 0.5), percentile(first, 0.99)),
        "first_content_ms": (percentile(content, 0.5), percentile(content, 0.99)),
        "turn_s": (
            percentile([r.ended for r in ok if r.final and r.ended], 0.5),
            percentile([r.ended for r in ok if r.final and r.ended], 0.99),
        ),
        "rooms": [r.room_id for r in ok if r.room_id],
    }


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

"""Local HTTP servers that speak the providers' wire protocols, for the real SDK clients.

Anthropic: POST /v1/messages with `stream: true` answered as Messages API SSE events.
OpenAI-compatible: POST /v1/chat/completions answered as Chat Completions chunks.
Each answer is scripted per request by a function of the parsed JSON body.
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Reply:
    """A scripted answer: status, then body pieces (bytes or a float = pause in seconds)."""

    status: int = 200
    pieces: list[bytes | float] = field(default_factory=list)
    content_type: str = "text/event-stream"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict


class ProtocolServer:
    """A tiny HTTP/1.1 server (one request per connection, close-delimited bodies)."""

    def __init__(self, script: Callable[[dict], Reply]) -> None:
        self.script = script
        self.requests: list[Recorded] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            parsed = json.loads(body or b"{}")
            self.requests.append(Recorded(path, headers, parsed))
            reply = self.script(parsed)
            reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}
            writer.write(
                f"HTTP/1.1 {reply.status} {reason.get(reply.status, 'Error')}\r\n"
                f"Content-Type: {reply.content_type}\r\nConnection: close\r\n"
                "retry-after: 0\r\n\r\n".encode()
            )
            await writer.drain()
            for piece in reply.pieces:
                if isinstance(piece, float):
                    await asyncio.sleep(piece)
                else:
                    writer.write(piece)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def anthropic_stream(
    text_parts: list[str],
    product_ids: list[str] | None,
    reasons: dict[str, str] | None = None,
) -> list[bytes | float]:
    """A Messages API stream: text deltas, then a recommend_products tool call."""
    pieces: list[bytes | float] = [
        sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-test",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 1},
                },
            },
        ),
        sse(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for part in text_parts:
        pieces.append(
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": part},
                },
            )
        )
    pieces.append(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    if product_ids is not None:
        arguments = json.dumps({"product_ids": product_ids, "reasons": reasons or {}})
        pieces += [
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "recommend_products",
                        "input": {},
                    },
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": arguments[:10]},
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": arguments[10:]},
                },
            ),
            sse("content_block_stop", {"type": "content_block_stop", "index": 1}),
        ]
    pieces += [
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": "tool_use" if product_ids is not None else "end_turn",
                    "stop_sequence": None,
                },
                "usage": {"output_tokens": 42},
            },
        ),
        sse("message_stop", {"type": "message_stop"}),
    ]
    return pieces


def anthropic_error_event(kind: str = "overloaded_error") -> bytes:
    return sse("error", {"type": "error", "error": {"type": kind, "message": "Overloaded"}})


def openai_chunk(delta: dict, finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "local-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def openai_stream(
    text_parts: list[str],
    product_ids: list[str] | None,
    reasons: dict[str, str] | None = None,
) -> list[bytes | float]:
    """Chat Completions chunks: content deltas, then a function tool call, then [DONE]."""
    pieces: list[bytes | float] = [openai_chunk({"role": "assistant", "content": ""})]
    pieces += [openai_chunk({"content": part}) for part in text_parts]
    if product_ids is not None:
        arguments = json.dumps({"product_ids": product_ids, "reasons": reasons or {}})
        pieces.append(
            openai_chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "recommend_products", "arguments": arguments[:8]},
                        }
                    ]
                }
            )
        )
        pieces.append(
            openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[8:]}}]})
        )
    pieces += [
        openai_chunk({}, "tool_calls" if product_ids is not None else "stop"),
        b"data: [DONE]\n\n",
    ]
    return pieces


def expert_of(body: dict) -> str:
    """Which expert a request is for (from the system prompt)."""
    system = body.get("system") or next(
        (m["content"] for m in body.get("messages", []) if m.get("role") == "system"), ""
    )
    for name in ("스타일 분석가", "트렌드 전문가", "컬러 전문가", "핏팅 코디네이터"):
        if name in system:
            return name
    return ""

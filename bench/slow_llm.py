"""A slow OpenAI-compatible Chat Completions server, for benchmarks only (nothing ships).

    python bench/slow_llm.py --port 18080 --token-interval 0.3 --tokens 60 --max-streaming 500

- `POST /v1/chat/completions` with `stream: true`: Chat Completions chunks as
  `text/event-stream` (`data: {...chat.completion.chunk...}` ..., a last chunk with its
  `finish_reason`, then `data: [DONE]`), one token every `--token-interval` seconds (± jitter);
  the answer is Korean fashion text of `--tokens` tokens. Without `stream`, one JSON completion.
- Tools offered (`tools` in the request): how the tool call is streamed is `--tool-style`:
  `after` (default) streams the text, then a call of the offered function with its arguments in
  pieces (id/type/name first), finish_reason `tool_calls`: what expert-service's
  OpenAI-compatible provider reads in its one request. `first` streams only the tool call
  (finish_reason `tool_calls`) and answers the follow-up request, the one carrying a `tool`
  message, with the text: the classic two-request tool loop.
- `--max-streaming N` answers at most N requests at once; more wait, connection open, for a slot.
- HTTP/1.1 keep-alive: bodies are chunked, a connection serves requests until the client
  closes it (or sends `Connection: close`). `GET /v1/models` lists the model; `GET /stats`
  tells what was served (JSON).

Raw asyncio streams and the standard library only: it shares the cores with the system it
benchmarks, so each answer costs a sleep and a small write per token.
"""

import argparse
import asyncio
import contextlib
import json
import random
import re
import signal
import time
from dataclasses import asdict, dataclass
from typing import Any

_SENTENCES = (
    "브라운 린넨 반팔 셔츠에 그레이 와이드 슬랙스를 매치하면 단정하면서도 편안한 인상을 줘요. "
    "어깨선이 자연스럽게 떨어지는 오버핏 니트는 체형을 부드럽게 감싸 주고, "
    "하이웨이스트 데님과 함께 입으면 다리가 길어 보여요. "
    "웜톤 피부에는 베이지, 카멜, 올리브 같은 흙빛 컬러가 얼굴을 환하게 밝혀 줘요. "
    "소개팅에는 너무 힘준 정장보다 깔끔한 셔츠와 슬림한 치노 팬츠가 좋아요. "
    "이번 시즌에는 미니멀한 실루엣과 톤온톤 레이어드가 꾸준히 사랑받고 있어요. "
    "신발은 화이트 스니커즈나 로퍼로 마무리하면 전체 코디가 가볍고 세련돼 보여요. "
    "예산 안에서 상의 하나와 하의 하나로 완성 코디를 고르고, 아우터는 얇은 블레이저를 권해요.",
)
_WORDS = " ".join(_SENTENCES).split()
_CANDIDATE_ID = re.compile(r'"id":\s*"([^"]+)"')
_REASONS = ("상황에 잘 맞아요", "색 조합이 좋아요", "핏이 체형에 맞아요", "이번 시즌 무드예요")
_REASON_PHRASES = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


@dataclass
class Stats:
    requests: int = 0
    connections: int = 0
    tool_calls: int = 0
    text_answers: int = 0
    streaming: int = 0
    streaming_peak: int = 0
    waiting: int = 0
    waiting_peak: int = 0
    client_gone: int = 0


class SlowLLM:
    def __init__(
        self,
        *,
        token_interval: float,
        jitter: float,
        tokens: int,
        max_streaming: int,
        tool_style: str,
        first_token_delay: float,
        seed: int | None,
    ) -> None:
        self.token_interval = token_interval
        self.jitter = jitter
        self.tokens = tokens
        self.slots = asyncio.Semaphore(max_streaming)
        self.tool_style = tool_style
        self.first_token_delay = first_token_delay
        self.random = random.Random(seed)
        self.stats = Stats()
        self.ids = 0

    # -- HTTP/1.1 ---------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return  # the client closed its idle keep-alive connection
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                body = await self._body(reader, headers)
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                path = target.split("?", 1)[0]
                self.stats.requests += 1
                if method == "POST" and path.endswith("/chat/completions"):
                    await self._completion(writer, json.loads(body or b"{}"), keep)
                elif method == "GET" and path.endswith("/models"):
                    models = {"object": "list", "data": [{"id": "slow-llm", "object": "model"}]}
                    await self._json(writer, 200, models, keep)
                elif method == "GET" and path == "/stats":
                    await self._json(writer, 200, asdict(self.stats), keep)
                else:
                    await self._json(writer, 404, {"error": {"message": "not found"}}, keep)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            self.stats.client_gone += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _body(self, reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
        return await reader.readexactly(int(headers.get("content-length", "0")))

    @staticmethod
    def _head(status: int, content_type: str, keep: bool, length: int | None) -> bytes:
        framing = (
            f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
        )
        return (
            f"HTTP/1.1 {status} {_REASON_PHRASES.get(status, 'Error')}\r\n"
            f"Content-Type: {content_type}\r\n{framing}\r\n"
            f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
        ).encode()

    async def _json(self, writer: asyncio.StreamWriter, status: int, data: Any, keep: bool) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        writer.write(self._head(status, "application/json", keep, len(body)) + body)
        await writer.drain()

    @staticmethod
    def _chunk(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data)

    # -- Chat Completions -------------------------------------------------------------------

    async def _completion(self, writer: asyncio.StreamWriter, body: dict, keep: bool) -> None:
        messages = body.get("messages") or []
        tools = body.get("tools") or []
        follow_up = any(m.get("role") == "tool" for m in messages)
        text = self._answer()
        call = None
        if tools and not follow_up:
            call = (tools[0].get("function") or {}).get("name"), self._arguments(messages)
        if call is not None and self.tool_style == "first":
            text = []
        self.ids += 1
        model = body.get("model") or "slow-llm"
        completion_id = f"chatcmpl-{self.ids}"
        self.stats.waiting += 1
        self.stats.waiting_peak = max(self.stats.waiting_peak, self.stats.waiting)
        try:
            await self.slots.acquire()
        finally:
            self.stats.waiting -= 1
        self.stats.streaming += 1
        self.stats.streaming_peak = max(self.stats.streaming_peak, self.stats.streaming)
        try:
            if body.get("stream"):
                await self._stream(writer, completion_id, model, text, call)
            else:
                await self._sleep(len(text))
                await self._json(writer, 200, self._whole(completion_id, model, text, call), keep)
        finally:
            self.stats.streaming -= 1
            self.slots.release()
        if call is not None:
            self.stats.tool_calls += 1
        if text:
            self.stats.text_answers += 1

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        completion_id: str,
        model: str,
        text: list[str],
        call: tuple[str, str] | None,
    ) -> None:
        created = int(time.time())

        def chunk(delta: dict, finish: str | None = None) -> bytes:
            data = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return self._chunk(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())

        writer.write(self._head(200, "text/event-stream; charset=utf-8", True, None))
        writer.write(chunk({"role": "assistant", "content": ""}))
        await writer.drain()
        if self.first_token_delay:
            await asyncio.sleep(self.first_token_delay)
        for token in text:
            await self._sleep(1)
            writer.write(chunk({"content": token}))
            await writer.drain()
        if call is not None:
            name, arguments = call
            cut = max(1, len(arguments) // 3)
            await self._sleep(1)
            first = {
                "index": 0,
                "id": f"call_{completion_id}",
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            writer.write(chunk({"tool_calls": [first]}))
            for piece in (arguments[:cut], arguments[cut : 2 * cut], arguments[2 * cut :]):
                await self._sleep(1)
                more = {"index": 0, "function": {"arguments": piece}}
                writer.write(chunk({"tool_calls": [more]}))
                await writer.drain()
        writer.write(chunk({}, "tool_calls" if call is not None else "stop"))
        writer.write(self._chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
        await writer.drain()

    def _whole(self, completion_id: str, model: str, text: list[str], call) -> dict:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
        if call is not None:
            message["tool_calls"] = [
                {
                    "id": f"call_{completion_id}",
                    "type": "function",
                    "function": {"name": call[0], "arguments": call[1]},
                }
            ]
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if call is not None else "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": len(text), "total_tokens": 100},
        }

    async def _sleep(self, tokens: int) -> None:
        spread = self.token_interval * self.jitter
        pause = sum(
            max(0.0, self.token_interval + self.random.uniform(-spread, spread))
            for _ in range(tokens)
        )
        await asyncio.sleep(pause)

    def _answer(self) -> list[str]:
        """`tokens` tokens of Korean fashion text: words, split into 1-3 syllable pieces."""
        out: list[str] = []
        start = self.random.randrange(len(_WORDS))
        i = start
        while len(out) < self.tokens:
            word = _WORDS[i % len(_WORDS)]
            i += 1
            pieces = [word[j : j + 2] for j in range(0, len(word), 2)]
            pieces[0] = (" " if out else "") + pieces[0]
            out.extend(pieces)
        return out[: self.tokens]

    def _arguments(self, messages: list[dict]) -> str:
        """The tool's arguments, from the user message: products picked from its candidate list
        (when it has one) and a reason each naming the request."""
        user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        content = user.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        content = content or ""
        ids = list(dict.fromkeys(_CANDIDATE_ID.findall(content)))[:3]
        asked = content.rsplit("\n", 1)[-1][:40]
        reasons = {i: f"{asked}: {self.random.choice(_REASONS)}" for i in ids}
        return json.dumps({"product_ids": ids, "reasons": reasons}, ensure_ascii=False)


async def serve(args: argparse.Namespace) -> None:
    llm = SlowLLM(
        token_interval=args.token_interval,
        jitter=args.jitter,
        tokens=args.tokens,
        max_streaming=args.max_streaming,
        tool_style=args.tool_style,
        first_token_delay=args.first_token_delay,
        seed=args.seed,
    )
    server = await asyncio.start_server(llm.handle, args.host, args.port, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(f"slow-llm listening on http://{args.host}:{port}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"slow-llm stats {json.dumps(asdict(llm.stats))}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token-interval", type=float, default=0.3, help="seconds per token")
    parser.add_argument("--jitter", type=float, default=0.3, help="± share of the interval")
    parser.add_argument("--tokens", type=int, default=60, help="tokens per text answer")
    parser.add_argument("--first-token-delay", type=float, default=0.0, help="seconds")
    parser.add_argument("--max-streaming", type=int, default=500)
    parser.add_argument("--tool-style", choices=("after", "first"), default="after")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()

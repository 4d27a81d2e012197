"""SSE load: many guests asking at once; latency to the first event, the first expert text
and the end of the turn. Run against a running system (`make run` in another terminal):

    make bench-stream                      # 40 turns, 8 at a time
    uv run python bench/bench_stream.py --turns 200 --concurrency 32 --url http://127.0.0.1:8000

locust cannot time SSE events, hence this asyncio client. Each simulated person is a new
guest (own cookie jar), so the per-user rate limit does not throttle the run.
"""

import argparse
import asyncio
import statistics
import time
from collections import Counter

import httpx

QUESTIONS = (
    "내일 소개팅 가는데 입을 옷 추천해줘",
    "다음주 면접 복장 어떻게 입을까",
    "여름 바다 여행 코디 알려줘",
    "결혼식 하객룩 추천해줘, 키 175에 마른 체형이야",
    "캠퍼스에서 입을 캐주얼한 옷",
    "첫 출근인데 단정하게 입고 싶어",
)


async def one_turn(url: str, question: str) -> tuple[float, float, float] | str:
    """(first event, first content, final) seconds, or why the turn failed."""
    started = time.perf_counter()
    first = content = None
    async with (
        httpx.AsyncClient(base_url=url, timeout=120) as client,
        client.stream(
            "GET", "/api/chat/rooms/messages/stream", params={"user_input": question}
        ) as r,
    ):
        if r.status_code != 200:
            await r.aread()
            return f"HTTP {r.status_code}: {r.text[:120]}"
        async for line in r.aiter_lines():
            if not line.startswith("event:"):
                continue
            now = time.perf_counter() - started
            first = first if first is not None else now
            if content is None and line.endswith("content"):
                content = now
            if line.endswith("final_complete"):
                return first, content or now, now
            if line.endswith("error"):
                return "error event"
    return "stream ended early"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(url: str, turns: int, concurrency: int) -> None:
    slots = asyncio.Semaphore(concurrency)

    async def guarded(index: int):
        async with slots:
            return await one_turn(url, QUESTIONS[index % len(QUESTIONS)])

    started = time.perf_counter()
    results = await asyncio.gather(*(guarded(i) for i in range(turns)))
    elapsed = time.perf_counter() - started
    done = [r for r in results if not isinstance(r, str)]
    print(f"{turns} turns, {concurrency} at a time, {elapsed:.1f} s, {len(done)} completed")
    for reason, count in Counter(r for r in results if isinstance(r, str)).most_common():
        print(f"  failed ({count}): {reason}")
    if not done:
        return
    for index, name in enumerate(("first event", "first content", "final_complete")):
        values = [r[index] * 1000 for r in done]
        print(
            f"  {name:15s} p50 {statistics.median(values):7.0f} ms   "
            f"p99 {percentile(values, 0.99):7.0f} ms   max {max(values):7.0f} ms"
        )
    print(f"  throughput      {len(done) / elapsed:.2f} turns/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.turns, args.concurrency))


if __name__ == "__main__":
    main()

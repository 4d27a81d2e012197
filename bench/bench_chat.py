"""`make bench-chat`: what a turn costs chat-service's database, and many turns at once.

Starts the whole system on scratch databases (the machine's PostgreSQL and Redis, free ports),
then:

1. transactions per turn: `pg_stat_database.xact_commit` of chat's database before and after N
   streamed turns, one at a time (PostgreSQL's own counter: every statement outside a
   transaction block counts as one too);
2. concurrency: C turns started at once through the gateway (each a new guest, polling mode),
   then every turn's rows counted: user messages stored, answers stored, duplicates, lost.

    uv run python bench/bench_chat.py [--turns 20] [--concurrent 200]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from tft_launcher.scratch import scratch_system  # noqa: E402
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL  # noqa: E402

PANEL = 4
_OWN_READS = 2  # between two snapshots: the first's read and the second's flush


async def committed_transactions(dsn: str) -> int:
    """`pg_stat_database.xact_commit` of the DSN's database, once the backends flushed it."""
    conn = await asyncpg.connect(dsn)
    try:
        # Statistics are flushed by backends at most once a second: wait for them to settle.
        await conn.execute("SELECT pg_stat_force_next_flush()")
        await asyncio.sleep(1.2)
        return await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
    finally:
        await conn.close()


async def _streamed_turn(base_url: str, text: str) -> None:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=120) as client,
        client.stream(
            "GET", "/api/chat/rooms/messages/stream", params={"user_input": text}
        ) as response,
    ):
        response.raise_for_status()
        async for _ in response.aiter_lines():
            pass


async def _polled_turn(base_url: str, i: int) -> tuple[int | None, int]:
    """(room id, HTTP status of the send)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as guest:
        room = (await guest.post("/api/chat/rooms")).json()["data"]["id"]
        sent = await guest.post(
            "/api/chat/send", params={"roomId": room}, json={"content": f"데일리룩 추천 {i}"}
        )
        return (room if sent.status_code == 200 else None), sent.status_code


async def measure(turns: int, concurrent: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as state:
        async with scratch_system(
            server_dsn=TEST_POSTGRES_DSN,
            redis_url=TEST_REDIS_URL,
            state_dir=Path(state),
            cwd=ROOT,
            catalog_size=400,
            overrides={"CHAT_TURNS_PER_MINUTE": "0", "OTEL_SDK_DISABLED": "true"},
        ) as system:
            chat = system.dsns["CHAT"]
            await _streamed_turn(system.base_url, "워밍업")  # pools, caches, models
            before = await committed_transactions(chat)
            started = time.perf_counter()
            for i in range(turns):
                await _streamed_turn(system.base_url, f"소개팅 코디 추천해줘 {i}")
            elapsed = time.perf_counter() - started
            after = await committed_transactions(chat)
            # The two counter reads between the snapshots are this bench's own transactions;
            # what is left includes chat-service's once-a-minute recovery sweep.
            delta = after - before - _OWN_READS
            print(f"transactions per turn (chat database, {turns} streamed turns one at a time):")
            print(
                f"  xact_commit delta {delta} (the bench's own {_OWN_READS} taken off)"
                f" -> {delta / turns:.2f} per turn (goal <= 2)"
            )
            print(f"  {elapsed / turns:.2f} s per turn")

            started = time.perf_counter()
            sent = await asyncio.gather(
                *(_polled_turn(system.base_url, i) for i in range(concurrent))
            )
            rooms = [room for room, _ in sent if room is not None]
            refused = [status for room, status in sent if room is None]
            conn = await asyncpg.connect(chat)
            try:
                for _ in range(1200):
                    running = await conn.fetchval(
                        "SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'RUNNING'",
                        rooms,
                    )
                    if not running:
                        break
                    await asyncio.sleep(0.25)
                row = await conn.fetchrow(
                    """
                    SELECT
                      (SELECT count(*) FROM messages WHERE room_id = ANY($1)
                        AND message_type = 'USER') AS users,
                      (SELECT count(*) FROM messages WHERE room_id = ANY($1)
                        AND message_type = 'AI') AS answers,
                      (SELECT count(*) - count(DISTINCT (turn_id, agent_type)) FROM messages
                        WHERE room_id = ANY($1) AND message_type = 'AI') AS duplicates,
                      (SELECT count(*) FROM turns WHERE room_id = ANY($1)
                        AND status = 'COMPLETED') AS completed
                    """,
                    rooms,
                )
            finally:
                await conn.close()
            elapsed = time.perf_counter() - started
            print(f"{concurrent} turns started at once through the gateway (polling mode):")
            print(
                f"  accepted {len(rooms)}, refused {len(refused)} {sorted(set(refused))}, "
                f"completed {row['completed']} in {elapsed:.1f} s"
            )
            print(
                f"  user messages stored {row['users']} (lost {len(rooms) - row['users']}), "
                f"answers stored {row['answers']} of {len(rooms) * PANEL}, "
                f"duplicates {row['duplicates']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--concurrent", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(measure(args.turns, args.concurrent))


if __name__ == "__main__":
    main()

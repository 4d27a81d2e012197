"""Crashes in the middle of many turns, with real processes.

A system of its own (its own databases, ports and queue) runs turns from many guests at once;
chat-service, expert-service or the gateway is killed with SIGKILL in the middle and started
again. Then every accepted message must be stored, and every turn must end with each expert's
answer stored exactly once. The counts are printed (`pytest -s`) for the record.
"""

import asyncio
import signal
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import pytest_asyncio

from e2e.conftest import E2E_CATALOG_SIZE, REPO
from e2e.sse_client import read_events
from tft_launcher.scratch import ScratchSystem, scratch_system
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL

pytestmark = pytest.mark.asyncio(loop_scope="session")

TURNS = 16  # polled turns in flight when the process dies (and a quarter as many streamed)
PANEL = 4  # experts per turn


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def faulty(tmp_path_factory) -> AsyncIterator[ScratchSystem]:
    async with scratch_system(
        server_dsn=TEST_POSTGRES_DSN,
        redis_url=TEST_REDIS_URL,
        state_dir=tmp_path_factory.mktemp("faulty"),
        cwd=REPO,
        catalog_size=int(E2E_CATALOG_SIZE),
        overrides={
            # A dead worker's turn is taken over after 2 s.
            "CHAT_TURN_LEASE_SECONDS": "2",
            "CHAT_TURNS_PER_MINUTE": "0",
            # Turns long enough (about 3 s) for the kill to land in the middle of them.
            "EXPERT_OFFLINE_DELTA_DELAY_SECONDS": "0.02",
            "OTEL_SDK_DISABLED": "true",
        },
    ) as system:
        yield system


async def _send_turns(base_url: str, count: int) -> list[int]:
    """`count` guests each send one polling turn; the rooms of the accepted ones."""

    async def one(i: int) -> int | None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as guest:
            room = (await guest.post("/api/chat/rooms")).json()["data"]
            sent = await guest.post(
                "/api/chat/send", params={"roomId": room["id"]}, json={"content": f"출근룩 {i}"}
            )
            return room["id"] if sent.status_code == 200 else None

    rooms = await asyncio.gather(*(one(i) for i in range(count)))
    return [room for room in rooms if room is not None]


async def _open_streams(base_url: str, count: int) -> tuple[list[int], list[asyncio.Task]]:
    """`count` guests streaming a turn; their rooms (read from the first event) and the tasks
    still reading the rest."""
    rooms: list[int] = []
    tasks: list[asyncio.Task] = []

    async def read(client: httpx.AsyncClient, response: httpx.Response) -> None:
        try:
            async for _ in response.aiter_lines():
                pass
        except httpx.HTTPError:
            pass  # the gateway went away under it
        finally:
            await response.aclose()
            await client.aclose()

    for i in range(count):
        client = httpx.AsyncClient(base_url=base_url, timeout=60)
        request = client.build_request(
            "GET", "/api/chat/rooms/messages/stream", params={"user_input": f"데이트룩 {i}"}
        )
        response = await client.send(request, stream=True)
        (first,) = await read_events(response, stop_after=1)
        assert first.event == "room", first
        rooms.append(int(first.data["data"]["room_id"]))
        tasks.append(asyncio.create_task(read(client, response)))
    return rooms, tasks


async def _settle(chat_dsn: str, rooms: list[int]) -> dict[str, int]:
    """Waits until no turn of the rooms runs, then counts what was stored."""
    conn = await asyncpg.connect(chat_dsn)
    try:
        for _ in range(600):
            running = await conn.fetchval(
                "SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'RUNNING'", rooms
            )
            if running == 0:
                break
            await asyncio.sleep(0.2)
        counts = await conn.fetchrow(
            """
            SELECT
              (SELECT count(*) FROM turns WHERE room_id = ANY($1)) AS turns,
              (SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'COMPLETED')
                AS completed,
              (SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'RUNNING')
                AS running,
              (SELECT count(*) FROM messages WHERE room_id = ANY($1) AND message_type = 'USER')
                AS user_messages,
              (SELECT count(*) FROM messages WHERE room_id = ANY($1) AND message_type = 'AI')
                AS answers,
              (SELECT count(*) - count(DISTINCT (turn_id, agent_type)) FROM messages
                WHERE room_id = ANY($1) AND message_type = 'AI') AS duplicates
            """,
            rooms,
        )
    finally:
        await conn.close()
    return dict(counts)


@pytest.mark.parametrize("victim", ["chat-service", "expert-service", "gateway"])
async def test_a_killed_process_loses_and_doubles_nothing(faulty, victim):
    polled = await _send_turns(faulty.base_url, TURNS)
    streamed, readers = await _open_streams(faulty.base_url, TURNS // 4)
    await asyncio.sleep(0.5)  # the experts are answering now
    rooms = polled + streamed
    conn = await asyncpg.connect(faulty.dsns["CHAT"])
    try:
        mid_turn = await conn.fetchval(
            "SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'RUNNING'", rooms
        )
    finally:
        await conn.close()
    assert mid_turn > 0  # the kill lands while turns run, not after they ended
    await faulty.kill_and_restart(victim, signal_number=signal.SIGKILL)
    counts = await _settle(faulty.dsns["CHAT"], rooms)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    accepted = len(rooms)
    lost = accepted - counts["user_messages"]
    missing = accepted * PANEL - counts["answers"]
    print(
        f"\n{victim} killed with {mid_turn} turns running: turns started {accepted}, "
        f"user messages stored {counts['user_messages']}, completed {counts['completed']}, "
        f"answers stored {counts['answers']} (expected {accepted * PANEL}), "
        f"duplicates {counts['duplicates']}, lost {lost}, still running {counts['running']}"
    )
    assert accepted == TURNS + TURNS // 4
    assert lost == 0 and counts["duplicates"] == 0 and counts["running"] == 0
    # Nothing failed for real here, so every turn ends whole: each expert's answer, once.
    assert counts["completed"] == accepted and missing == 0

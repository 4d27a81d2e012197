"""Crashes in the middle of many turns, with real processes.

A system of its own (its own databases, ports and queue) runs turns from many guests at once;
chat-service, expert-service or the gateway is killed with SIGKILL in the middle and started
again. Then every accepted message must be stored, and every turn must end with each expert's
answer stored exactly once. The counts are printed (`pytest -s`) for the record.
"""

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
import pytest_asyncio

from e2e.conftest import (
    E2E_CATALOG_SIZE,
    REPO,
    _create_databases,
    _drop_databases,
    _free_port,
)
from e2e.sse_client import read_events
from tft_launcher.processes import ProcessSpec, Supervisor, run_to_completion, wait_healthy
from tft_launcher.services import SERVICES, service_env, service_specs
from tftkit.identity import new_signing_key
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL

pytestmark = pytest.mark.asyncio(loop_scope="session")

TURNS = 16  # turns in flight when the process dies
PANEL = 4  # experts per turn


@dataclass
class FaultySystem:
    supervisor: Supervisor
    env: dict[str, str]
    chat_dsn: str
    base_url: str

    async def kill_and_restart(self, name: str) -> None:
        """SIGKILL (no goodbye, no flush), then the same service started again."""
        child = next(c for c in reversed(self.supervisor.children) if c.spec.name == name)
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
        (again,) = await self.supervisor.start([child.spec])
        await wait_healthy(again, within=120)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def faulty(tmp_path_factory) -> AsyncIterator[FaultySystem]:
    suffix = f"fault{secrets.token_hex(3)}"
    state = tmp_path_factory.mktemp("faulty")
    dsns = await _create_databases(suffix)
    overrides = {
        "AUTH_POSTGRES_DSN": dsns["auth"],
        "CHAT_POSTGRES_DSN": dsns["chat"],
        "PRODUCT_POSTGRES_DSN": dsns["product"],
        **{f"{s.prefix}_METRICS_PORT": "0" for s in SERVICES if s.metrics_port},
        **{f"{s.prefix}_PORT": str(_free_port()) for s in SERVICES},
        # Its own queue and memory; a dead worker's turn is taken over after 2 s.
        "CHAT_TURN_QUEUE_KEY": f"chat-queue-{suffix}",
        "CHAT_TURN_LEASE_SECONDS": "2",
        "CHAT_TURNS_PER_MINUTE": "0",
        "EXPERT_REDIS_KEY_PREFIX": f"expert-{suffix}",
        "FITTING_REDIS_KEY_PREFIX": f"fitting-{suffix}",
        # Turns long enough (about 3 s) for the kill to land in the middle of them.
        "EXPERT_OFFLINE_DELTA_DELAY_SECONDS": "0.02",
        "OTEL_SDK_DISABLED": "true",
    }
    env = service_env(
        server_dsn=TEST_POSTGRES_DSN,
        redis_url=TEST_REDIS_URL,
        state_dir=state,
        secrets={"AUTH_SIGNING_KEY": new_signing_key()},
        environ={**os.environ, **overrides},
    )
    log_dir = state / "logs"
    seed = ProcessSpec(
        "product-seed",
        [
            sys.executable,
            "-m",
            "product_service",
            "seed",
            "--if-empty",
            "--count",
            E2E_CATALOG_SIZE,
        ],
    )
    await run_to_completion(seed, env=env, log_dir=log_dir, within=600, cwd=REPO)
    supervisor = Supervisor(env=env, log_dir=log_dir, cwd=REPO, console=None)
    await supervisor.start(service_specs(SERVICES, env))
    try:
        await supervisor.wait_healthy(within=120)
        yield FaultySystem(
            supervisor=supervisor,
            env=env,
            chat_dsn=dsns["chat"],
            base_url=f"http://127.0.0.1:{env['GATEWAY_PORT']}",
        )
    finally:
        await supervisor.stop(grace=10)
        await _drop_databases(suffix)


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
    conn = await asyncpg.connect(faulty.chat_dsn)
    try:
        mid_turn = await conn.fetchval(
            "SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'RUNNING'", rooms
        )
    finally:
        await conn.close()
    assert mid_turn > 0  # the kill lands while turns run, not after they ended
    await faulty.kill_and_restart(victim)
    counts = await _settle(faulty.chat_dsn, rooms)
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

"""Two gateways and two chat-services, as replicas: nothing a turn needs lives in one process.

A scratch system gets a second chat-service and a second gateway; both gateways spread their
calls over both chat-services (client-side round robin). A stream started through one gateway
is resumed through the other; a polled turn sent through one is received through the other;
with one chat-service stopped, turns still run on the one left.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import pytest_asyncio

from e2e.conftest import E2E_CATALOG_SIZE, REPO
from e2e.sse_client import read_events
from tft_launcher.processes import wait_healthy
from tft_launcher.scratch import ScratchSystem, free_port, scratch_system
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def replicas(tmp_path_factory) -> AsyncIterator[tuple[ScratchSystem, str]]:
    """The system, and the base URL of its second gateway."""
    chat_ports = free_port(), free_port()
    async with scratch_system(
        server_dsn=TEST_POSTGRES_DSN,
        redis_url=TEST_REDIS_URL,
        state_dir=tmp_path_factory.mktemp("replicas"),
        cwd=REPO,
        catalog_size=int(E2E_CATALOG_SIZE),
        overrides={
            "CHAT_PORT": str(chat_ports[0]),
            "CHAT_SERVICE_ADDR": f"ipv4:127.0.0.1:{chat_ports[0]},127.0.0.1:{chat_ports[1]}",
            "CHAT_TURNS_PER_MINUTE": "0",
            "EXPERT_OFFLINE_DELTA_DELAY_SECONDS": "0.02",
            "OTEL_SDK_DISABLED": "true",
        },
    ) as system:
        specs = {c.spec.name: c.spec for c in system.supervisor.children}
        second_gateway = free_port()
        for name, port_variable, port in (
            ("chat-service", "CHAT_PORT", chat_ports[1]),
            ("gateway", "GATEWAY_PORT", second_gateway),
        ):
            env = {**specs[name].env, port_variable: str(port)}
            spec = replace(specs[name], name=f"{name}-2", env=env)
            if name == "gateway":
                spec = replace(spec, probe=_http_probe(second_gateway))
            (child,) = await system.supervisor.start([spec])
            await wait_healthy(child, within=120)
        yield system, f"http://127.0.0.1:{second_gateway}"


def _http_probe(port: int):
    async def probe() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"http://127.0.0.1:{port}/actuator/health")).is_success
        except httpx.HTTPError:
            return False

    return probe


async def test_a_stream_started_through_one_gateway_is_resumed_through_the_other(replicas):
    system, other = replicas
    cookies = httpx.Cookies()
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=60, cookies=cookies) as first,
        first.stream(
            "GET", "/api/chat/rooms/messages/stream", params={"user_input": "주말 데이트룩"}
        ) as response,
    ):
        seen = await read_events(response, stop_after=4)
    last = next(e for e in reversed(seen) if e.id)
    cookies.update(first.cookies)
    async with (
        httpx.AsyncClient(base_url=other, timeout=60, cookies=cookies) as second,
        second.stream(
            "GET",
            "/api/chat/rooms/messages/stream",
            params={"user_input": "주말 데이트룩"},
            headers={"Last-Event-ID": last.id},
        ) as response,
    ):
        assert response.status_code == 200
        rest = await read_events(response)
    assert rest and rest[-1].event == "final_complete"
    assert not {e.id for e in rest} & {e.id for e in seen}  # resumed, not replayed
    assert sum(e.event == "complete" for e in [*seen, *rest]) == 4


async def test_a_polled_turn_sent_through_one_gateway_is_received_through_the_other(replicas):
    system, other = replicas
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as first:
        room = (await first.post("/api/chat/rooms")).json()["data"]
        sent = await first.post(
            "/api/chat/send", params={"roomId": room["id"]}, json={"content": "출근룩"}
        )
        assert sent.status_code == 200
        cookies = first.cookies
    answers = []
    async with httpx.AsyncClient(base_url=other, timeout=60, cookies=cookies) as second:
        for _ in range(600):
            reply = await second.get("/api/chat/receive", params={"roomId": room["id"]})
            data = reply.json()["data"]
            if data["state"] == "DONE":
                break
            if data["state"] == "READY":
                answers.append(data)
            else:
                await asyncio.sleep(0.05)
    assert [a["order"] for a in answers] == [1, 2, 3, 4]


async def test_with_one_chat_service_gone_the_other_runs_every_turn(replicas):
    system, other = replicas
    first_chat = next(c for c in system.supervisor.children if c.spec.name == "chat-service")
    await first_chat.stop(grace=10)  # a replica scaled away (SIGTERM, graceful)
    try:
        for base_url in (system.base_url, other, system.base_url, other):
            async with (
                httpx.AsyncClient(base_url=base_url, timeout=60) as client,
                client.stream(
                    "GET", "/api/chat/rooms/messages/stream", params={"user_input": "캠퍼스룩"}
                ) as response,
            ):
                assert response.status_code == 200
                events = await read_events(response)
            assert events[-1].event == "final_complete"
    finally:
        (again,) = await system.supervisor.start([first_chat.spec])
        await wait_healthy(again, within=120)

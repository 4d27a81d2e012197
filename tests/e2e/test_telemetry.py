"""One trace from the gateway through every gRPC service a turn touches, exported over OTLP."""

import asyncio

import httpx
import pytest

from e2e.sse_client import stream

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_turn_is_one_trace_across_the_services(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as client:
        room = (await client.post("/api/chat/rooms")).json()["data"]
        path = f"/api/chat/rooms/{room['id']}/messages/stream"
        status, events, _ = await stream(
            client,
            path,
            params={"user_input": "결혼식 하객룩 추천해줘"},
        )
    assert status == 200 and events[-1].event == "final_complete"
    # auth-service is not on a turn's path: every hop verifies the caller's token itself with
    # auth-service's keys, fetched once and cached.
    expected = {"gateway", "chat-service", "expert-service", "product-service"}
    for _ in range(100):
        if expected <= system.spans.services_in_trace_of(path):
            break
        await asyncio.sleep(0.1)
    assert expected <= system.spans.services_in_trace_of(path)

"""One trace from the gateway through every gRPC service a turn touches, exported over OTLP;
the metrics of every process on a turn's path, scraped before and after."""

import asyncio
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from e2e.protocol_servers import astronaut, encoded
from e2e.sse_client import read_events, stream
from tftkit.postgres import database_name

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


async def _trace_of(
    system,
    path: str,
    *,
    services: set[str],
    spans: set[str] = frozenset(),
    writers: set[str] = frozenset(),
):
    """Waits for the newest trace of `path` to hold these services, span names and the
    services that wrote to their database within it (spans are exported in batches)."""
    collector = system.spans
    for _ in range(100):
        if (
            services <= collector.services_in_trace_of(path)
            and spans <= collector.span_names_in_trace_of(path)
            and writers <= collector.database_writes_in_trace_of(path)
        ):
            return
        await asyncio.sleep(0.1)
    assert services <= collector.services_in_trace_of(path)
    assert spans <= collector.span_names_in_trace_of(path)
    assert writers <= collector.database_writes_in_trace_of(path)


async def test_a_polled_turn_is_one_trace_through_the_queue(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as client:
        room = (await client.post("/api/chat/rooms")).json()["data"]
        sent = await client.post(
            "/api/chat/send", params={"roomId": room["id"]}, json={"content": "여행룩 추천"}
        )
        assert sent.status_code == 200
    # The worker that took the queued turn continued the request's trace.
    await _trace_of(
        system,
        "/api/chat/send",
        services={"gateway", "chat-service", "expert-service", "product-service"},
        spans={"turn"},
        writers={"chat-service"},
    )


async def test_an_upload_is_one_trace_down_to_its_database_row(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as client:
        answer = await client.post(
            "/api/chat/upload", files={"file": ("me.jpg", encoded(astronaut()), "image/jpeg")}
        )
        assert answer.status_code == 200, answer.text
    await _trace_of(
        system, "/api/chat/upload", services={"gateway", "chat-service"}, writers={"chat-service"}
    )


async def test_a_kakao_login_is_one_trace_down_to_the_handover(system, kakao):
    kakao.user = {"id": 777900, "properties": {"nickname": "추적"}}
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as browser:
        # A guest with a room: the login moves it, so the handover writes too.
        assert (await browser.post("/api/chat/rooms")).status_code == 201
        login = await browser.get("/api/auth/kakao/login")
        async with httpx.AsyncClient() as at_kakao:
            callback = await kakao.authorize(at_kakao, login.headers["location"])
        parts = urlsplit(callback)
        landed = await browser.get(f"{parts.path}?{parts.query}")
        assert landed.status_code == 302
        assert "login_error" not in landed.headers["location"]
    await _trace_of(
        system,
        parts.path,
        services={"gateway", "auth-service", "chat-service"},
        writers={"auth-service", "chat-service"},
    )


async def test_a_try_on_is_one_trace_through_its_task_queue(system):
    db = await asyncpg.connect(system.product_dsn)
    try:
        top = await db.fetchval(
            "SELECT product_id FROM products WHERE main_category = 'TOP' ORDER BY product_id"
            " LIMIT 1"
        )
    finally:
        await db.close()
    async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as client:
        answer = await client.post(
            "/api/fitting/try-on",
            files={"model_image": ("me.jpg", encoded(astronaut()), "image/jpeg")},
            data={"upper_product_id": top},
        )
        assert answer.status_code == 200, answer.text
    await _trace_of(
        system,
        "/api/fitting/try-on",
        services={"gateway", "fitting-service", "product-service"},
        spans={"try-on task"},
    )


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, url: str) -> Samples:
    """Every sample of a Prometheus text page, by name and labels."""
    answer = await client.get(url)
    assert answer.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_a_turn_and_a_hang_up_move_the_metrics_of_every_process_on_their_path(system):
    """Scraped before and after: a metric that is registered but never recorded fails here."""
    gateway_page = "/actuator/prometheus"
    chat_page = f"http://127.0.0.1:{system.env['CHAT_METRICS_PORT']}/metrics"
    product_page = f"http://127.0.0.1:{system.env['PRODUCT_METRICS_PORT']}/metrics"
    chat_db = database_name(system.chat_dsn)
    stream_route = "/api/chat/rooms/messages/stream"
    http_ok = {"method": "GET", "uri": stream_route, "status": "200"}
    async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as client:
        gateway_before = await scrape(client, gateway_page)
        chat_before = await scrape(client, chat_page)
        product_before = await scrape(client, product_page)

        # One whole turn...
        status, events, _ = await stream(
            client,
            stream_route,
            params={"user_input": "출근룩 추천해줘", "experts": "color_expert"},
        )
        assert status == 200 and events[-1].event == "final_complete"
        # ...and a client that hangs up after the turn's first events.
        params = {"user_input": "주말 나들이룩", "experts": "style_analyst"}
        async with client.stream("GET", stream_route, params=params) as response:
            assert [e.event for e in await read_events(response, stop_after=2)] == [
                "room",
                "connect",
            ]

        gateway_after = gateway_before
        for _ in range(100):  # the gateway notices the hang-up a moment later
            gateway_after = await scrape(client, gateway_page)
            if value(gateway_after, "sse_disconnections_total") > value(
                gateway_before, "sse_disconnections_total"
            ):
                break
            await asyncio.sleep(0.1)
        chat_after = await scrape(client, chat_page)
        product_after = await scrape(client, product_page)

    def moved(before: Samples, after: Samples, name: str, by: float, **labels: str) -> None:
        grown = value(after, name, **labels) - value(before, name, **labels)
        assert grown >= by, f"{name}{labels} grew by {grown}, expected at least {by}"

    # gateway: both streams opened, timed and closed; the second one by the client.
    for name, by in [
        ("sse_connections_total", 2),
        ("sse_disconnections_total", 1),
        ("sse_connection_creation_duration_count", 2),
        ("sse_api_total_response_duration_count", 2),
        ("sse_connection_lifetime_count", 2),
        ("sse_connection_pool_misses_total", 2),
        ("sse_api_memory_usage_bytes_count", 2),
    ]:
        moved(gateway_before, gateway_after, name, by)
    moved(gateway_before, gateway_after, "sse_connection_duration_count", 1, outcome="completed")
    moved(gateway_before, gateway_after, "sse_connection_duration_count", 1, outcome="disconnected")
    moved(gateway_before, gateway_after, "http_server_requests_seconds_count", 2, **http_ok)
    assert value(gateway_after, "sse_connection_memory_usage_bytes") > 0
    assert value(gateway_after, "sse_connections_active") == 0

    # chat-service: the turn's writes went through the kit's metered pool and transactions.
    moved(chat_before, chat_after, "db_connection_acquisition_duration_count", 1, database=chat_db)
    moved(
        chat_before,
        chat_after,
        "db_transaction_duration_count",
        2,
        database=chat_db,
        outcome="commit",
    )
    assert value(chat_after, "db_connection_pool_size", database=chat_db) >= 1

    # product-service: the expert's product searches were answered.
    moved(product_before, product_after, "product_search_api_success_total", 1)
    moved(product_before, product_after, "product_search_api_calls_total", 1, outcome="found")
    assert (
        sum(
            value(product_after, "product_search_api_response_duration_count", mode=mode)
            - value(product_before, "product_search_api_response_duration_count", mode=mode)
            for mode in ("lexical", "semantic", "cached")
        )
        >= 1
    )

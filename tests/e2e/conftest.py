"""The whole system as real processes: five gRPC services and the gateway, started with the
launcher's own process supervisor against the machine's PostgreSQL and Redis, each service
with fresh databases and free ports so a running `make run` is never touched."""

import asyncio
import os
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest_asyncio
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from e2e.image_host import ImageHost, image_host_on
from e2e.otlp_collector import SpanCollector
from e2e.protocol_servers import KakaoServer
from tft_launcher.processes import ProcessSpec, Supervisor, run_to_completion
from tft_launcher.scratch import free_port
from tft_launcher.services import SERVICES, service_env, service_specs
from tftkit.identity import new_signing_key
from tftkit.postgres import with_database
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL, serving

REPO = Path(__file__).resolve().parents[2]
E2E_CATALOG_SIZE = os.environ.get("E2E_CATALOG_SIZE", "400")


@dataclass
class RunningSystem:
    base_url: str
    env: dict[str, str]
    auth_dsn: str
    chat_dsn: str
    product_dsn: str
    log_dir: Path
    spans: SpanCollector


async def _create_databases(suffix: str) -> dict[str, str]:
    admin = await asyncpg.connect(TEST_POSTGRES_DSN)
    try:
        names = {}
        for service in ("auth", "chat", "product"):
            name = f"e2e_{service}_{suffix}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            names[service] = with_database(TEST_POSTGRES_DSN, name)
        return names
    finally:
        await admin.close()


async def _drop_databases(suffix: str) -> None:
    admin = await asyncpg.connect(TEST_POSTGRES_DSN)
    try:
        for service in ("auth", "chat", "product"):
            await admin.execute(f'DROP DATABASE IF EXISTS "e2e_{service}_{suffix}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def span_collector() -> AsyncIterator[tuple[SpanCollector, str]]:
    collector = SpanCollector()
    registration = (
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server,
        collector,
        "opentelemetry.proto.collector.trace.v1.TraceService",
    )
    async with serving(registration) as address:
        yield collector, address


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def image_host() -> AsyncIterator[ImageHost]:
    """An image server the proxy allows (on 127.0.0.2, the one network it is told to trust)."""
    async with image_host_on("127.0.0.2") as host:
        yield host


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def kakao() -> AsyncIterator[KakaoServer]:
    """A local server speaking Kakao's OAuth and user API (its redirect URI is set once the
    gateway's port is known)."""
    async with KakaoServer(
        client_id="e2e-rest-key", client_secret="e2e-client-secret", redirect_uri=""
    ) as server:
        yield server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def system(
    tmp_path_factory, span_collector, image_host, kakao
) -> AsyncIterator[RunningSystem]:
    collector, collector_address = span_collector
    suffix = secrets.token_hex(4)
    state = tmp_path_factory.mktemp("system")
    dsns = await _create_databases(suffix)
    overrides = {
        "AUTH_POSTGRES_DSN": dsns["auth"],
        "CHAT_POSTGRES_DSN": dsns["chat"],
        "PRODUCT_POSTGRES_DSN": dsns["product"],
        # Metrics servers on free ports (the fixed ones could clash with a running `make run`),
        # so the tests can scrape every process.
        **{f"{s.prefix}_METRICS_PORT": str(free_port()) for s in SERVICES if s.metrics_port},
        **{f"{s.prefix}_PORT": str(free_port()) for s in SERVICES},
        # Real OTLP export to the collector above, flushed quickly.
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector_address}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        # Its own queue and tasks, whatever else shares the test Redis.
        "FITTING_REDIS_KEY_PREFIX": f"fitting-e2e-{suffix}",
        "CHAT_TURN_QUEUE_KEY": f"chat-queue-e2e-{suffix}",
        "FITTING_PROXY_ALLOWED_HOSTS": image_host.authority,
        "FITTING_PROXY_TRUSTED_NETWORKS": "127.0.0.2/32",
        "FITTING_PROXY_TIMEOUT_SECONDS": "2",
        "FITTING_PROXY_MAX_BYTES": str(256 * 1024),
    }
    callback = f"http://127.0.0.1:{overrides['GATEWAY_PORT']}/api/auth/kakao/callback"
    kakao.redirect_uri = callback
    overrides |= {
        "KAKAO_CLIENT_ID": kakao.client_id,
        "KAKAO_CLIENT_SECRET": kakao.client_secret,
        "KAKAO_REDIRECT_URI": callback,
        "KAKAO_AUTH_BASE_URL": kakao.auth_base_url,
        "KAKAO_API_BASE_URL": kakao.api_base_url,
    }
    environ = {**os.environ, **overrides}
    env = service_env(
        server_dsn=TEST_POSTGRES_DSN,
        redis_url=TEST_REDIS_URL,
        state_dir=state,
        secrets={"AUTH_SIGNING_KEY": new_signing_key()},
        environ=environ,
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
        gateway_port = env["GATEWAY_PORT"]
        yield RunningSystem(
            base_url=f"http://127.0.0.1:{gateway_port}",
            env=env,
            auth_dsn=dsns["auth"],
            chat_dsn=dsns["chat"],
            product_dsn=dsns["product"],
            log_dir=log_dir,
            spans=collector,
        )
    finally:
        await supervisor.stop(grace=10)
        await asyncio.sleep(0)
        await _drop_databases(suffix)

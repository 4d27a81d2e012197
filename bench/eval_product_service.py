"""Starts a real product-service for `eval_experts.py`: a scratch PostgreSQL database, the
seeded demo catalog, the service on a free port; `stop()` ends it and drops the database."""

import asyncio
import os
import socket
import subprocess
import sys
import uuid

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tftkit.postgres import with_database
from tftkit.testing import TEST_POSTGRES_DSN

# Not the tests' Redis database: the product cache writes `product_id:{id}` keys.
EVAL_REDIS_URL = os.environ.get("EVAL_PRODUCT_REDIS_URL", "redis://127.0.0.1:6379/13")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_product_service():
    """(address, stop) of a running product-service over the demo catalog."""
    name = f"expert_eval_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(TEST_POSTGRES_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    port = _free_port()
    env = {
        **os.environ,
        "PRODUCT_POSTGRES_DSN": with_database(TEST_POSTGRES_DSN, name),
        "PRODUCT_REDIS_URL": EVAL_REDIS_URL,
        "PRODUCT_PORT": str(port),
        "PRODUCT_METRICS_PORT": "0",
        "PRODUCT_CACHE_TTL_SECONDS": "600",
        "PRODUCT_USE_KIWI": os.environ.get("PRODUCT_USE_KIWI", "false"),
    }
    seed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "product_service",
        "seed",
        "--if-empty",
        env=env,
        stdout=subprocess.DEVNULL,
    )
    if await seed.wait() != 0:
        raise RuntimeError("product-service seed failed")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "product_service",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"

    async def stop() -> None:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        admin = await asyncpg.connect(TEST_POSTGRES_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(300):
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return address, stop
            except grpc.aio.AioRpcError:
                pass
            if process.returncode is not None:
                break
            await asyncio.sleep(0.2)
    await stop()
    raise RuntimeError("product-service did not become healthy")

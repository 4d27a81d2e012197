"""Helpers for tests that need a real PostgreSQL or Redis (the machine's, or TEST_* URLs)."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from tftkit.postgres import with_database

TEST_POSTGRES_DSN = os.environ.get(
    "TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A new empty database for one test run; dropped afterwards. Yields its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(TEST_POSTGRES_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(TEST_POSTGRES_DSN, name)
    finally:
        admin = await asyncpg.connect(TEST_POSTGRES_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def serving(*servicers: tuple[object, object, str]) -> AsyncIterator[str]:
    """A real grpc.aio server on a free loopback port with the given servicers.

    Each item is `(add_XServicer_to_server, servicer, full_service_name)`; yields the address.
    """
    from tftkit.grpc_server import GrpcServer

    server = GrpcServer(host="127.0.0.1", port=0, grace_seconds=0.5)
    for register, servicer, name in servicers:
        server.add(register, servicer, name)
    await server.start()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        await server.stop()

"""Helpers for tests that need a real PostgreSQL or Redis (the machine's, or TEST_* URLs)."""

import asyncio
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


class TestIdentities:
    """A signing key of the tests' own, standing in for auth-service's: tokens for any user,
    and the verifier a server under test checks them with."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from tftkit.identity import TokenVerifier, static_keys

        self.private_key = Ed25519PrivateKey.generate()
        self.verifier = TokenVerifier(static_keys(self.private_key.public_key()))

    def token(self, user_id: str, *, guest: bool = True, ttl_seconds: int = 600) -> str:
        from tftkit.identity import ACCESS, GUEST, sign_token

        return sign_token(
            private_key=self.private_key,
            user_id=user_id,
            token_type=GUEST if guest else ACCESS,
            ttl_seconds=ttl_seconds,
        )

    def metadata(self, user_id: str, *, guest: bool = True) -> tuple[tuple[str, str], ...]:
        """gRPC metadata that makes a call act for `user_id`."""
        from tftkit.identity import bearer_metadata

        return bearer_metadata(self.token(user_id, guest=guest))


class ActingStub:
    """A stub whose every call carries fixed metadata (e.g. `TestIdentities.metadata`), as a
    service's calls carry the token of the user they act for."""

    def __init__(self, stub: object, metadata: tuple[tuple[str, str], ...]) -> None:
        self._stub = stub
        self._metadata = metadata

    def __getattr__(self, name: str):
        method = getattr(self._stub, name)

        def call(request, **kwargs):
            return method(request, metadata=kwargs.pop("metadata", self._metadata), **kwargs)

        return call


@asynccontextmanager
async def serving(
    *servicers: tuple[object, object, str],
    verifier: object | None = None,
    max_message_bytes: int | None = None,
) -> AsyncIterator[str]:
    """A real grpc.aio server on a free loopback port with the given servicers.

    Each item is `(add_XServicer_to_server, servicer, full_service_name)`; yields the address.
    `verifier` (a TokenVerifier) checks the callers' tokens; `max_message_bytes` is the
    service's own request size cap, when it sets one.
    """
    from tftkit.grpc_server import DEFAULT_MAX_MESSAGE_BYTES, GrpcServer

    server = GrpcServer(
        host="127.0.0.1",
        port=0,
        grace_seconds=0.5,
        verifier=verifier,
        max_message_bytes=max_message_bytes or DEFAULT_MAX_MESSAGE_BYTES,
    )
    for register, servicer, name in servicers:
        server.add(register, servicer, name)
    await server.start()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        await server.stop()


class AsgiTestServer:
    """A real HTTP server (uvicorn) for an ASGI app on a free loopback port, for the local
    servers that speak third parties' protocols in tests."""

    __test__ = False

    def __init__(self, app: object, *, name: str) -> None:
        self._app = app
        self._name = name
        self._server = None
        self._serving: asyncio.Task[None] | None = None
        self.base_url = ""

    async def start(self) -> str:
        import socket

        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it Nagle + delayed ACKs add 40 ms a call.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self._app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serving.done():
                self._serving.result()
                raise RuntimeError(f"the {self._name} test server did not start")
            await asyncio.sleep(0.01)
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving

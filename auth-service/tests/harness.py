"""A real auth-service for tests: its servicer over real gRPC, a scratch PostgreSQL database,
and optionally a local Kakao server."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import grpc

from auth_service.server import MIGRATIONS, SERVICE_NAME, kakao_client
from auth_service.servicer import AuthServicer
from auth_service.settings import AuthSettings
from auth_service.tokens import TokenIssuer
from tftkit.grpc_client import open_channel
from tftkit.identity import new_signing_key
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.testing import scratch_database, serving
from thefirsttake.auth.v1 import auth_pb2_grpc


def signing_key() -> str:
    return new_signing_key()


@dataclass
class RunningAuth:
    stub: auth_pb2_grpc.AuthServiceStub
    channel: grpc.aio.Channel
    pool: asyncpg.Pool
    settings: AuthSettings
    address: str


@asynccontextmanager
async def auth_service(**settings: object) -> AsyncIterator[RunningAuth]:
    """auth-service with these settings (a fresh signing key unless one is given)."""
    async with scratch_database("auth_test") as dsn, connect_pool(dsn) as pool:
        await apply_migrations(pool, MIGRATIONS)
        config = AuthSettings(postgres_dsn=dsn, **{"signing_key": new_signing_key(), **settings})
        issuer = TokenIssuer(config)
        kakao = kakao_client(config)
        servicer = AuthServicer(pool=pool, settings=config, issuer=issuer, kakao=kakao)
        registration = (auth_pb2_grpc.add_AuthServiceServicer_to_server, servicer, SERVICE_NAME)
        async with (
            serving(registration, verifier=issuer.verifier) as address,
            open_channel(address) as channel,
        ):
            yield RunningAuth(
                stub=auth_pb2_grpc.AuthServiceStub(channel),
                channel=channel,
                pool=pool,
                settings=config,
                address=address,
            )
        if kakao is not None:
            await kakao.aclose()

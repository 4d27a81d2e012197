"""Guest identities over real gRPC with a real PostgreSQL."""

import secrets

import grpc
import pytest
from pydantic import ValidationError

from auth_service.server import MIGRATIONS, SERVICE_NAME
from auth_service.servicer import AuthServicer
from auth_service.settings import AuthSettings
from auth_service.tokens import sign_token
from tftkit.grpc_client import open_channel
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.testing import scratch_database, serving
from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc


@pytest.fixture
async def auth():
    async with scratch_database("auth_test") as dsn, connect_pool(dsn) as pool:
        await apply_migrations(pool, MIGRATIONS)
        settings = AuthSettings(postgres_dsn=dsn, jwt_secret=secrets.token_urlsafe(32))
        servicer = AuthServicer(pool=pool, settings=settings)
        registration = (auth_pb2_grpc.add_AuthServiceServicer_to_server, servicer, SERVICE_NAME)
        async with serving(registration) as address, open_channel(address) as channel:
            yield auth_pb2_grpc.AuthServiceStub(channel), pool, settings


async def test_guest_token_verifies_to_the_stored_guest(auth):
    stub, pool, _ = auth
    issued = await stub.IssueGuest(auth_pb2.IssueGuestRequest())
    assert issued.identity.is_guest
    identity = await stub.Verify(auth_pb2.VerifyRequest(token=issued.access_token))
    assert identity.user_id == issued.identity.user_id
    stored = await pool.fetchval("SELECT is_guest FROM users WHERE id = $1::uuid", identity.user_id)
    assert stored is True
    me = await stub.GetMe(auth_pb2.GetMeRequest(token=issued.access_token))
    assert (me.user_id, me.is_guest, me.nickname) == (identity.user_id, True, "게스트")


async def test_two_guests_are_different_people(auth):
    stub, _, _ = auth
    first = await stub.IssueGuest(auth_pb2.IssueGuestRequest())
    second = await stub.IssueGuest(auth_pb2.IssueGuestRequest())
    assert first.identity.user_id != second.identity.user_id


@pytest.mark.parametrize("kind", ["tampered", "foreign", "expired", "empty"])
async def test_bad_tokens_are_unauthenticated(auth, kind):
    stub, _, settings = auth
    issued = await stub.IssueGuest(auth_pb2.IssueGuestRequest())
    user_id = issued.identity.user_id
    token = {
        "tampered": issued.access_token[:-2]
        + ("AA" if not issued.access_token.endswith("AA") else "BB"),
        "foreign": sign_token(secret="x" * 40, user_id=user_id, is_guest=True, ttl_seconds=60),
        "expired": sign_token(
            secret=settings.jwt_secret, user_id=user_id, is_guest=True, ttl_seconds=-10
        ),
        "empty": "",
    }[kind]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Verify(auth_pb2.VerifyRequest(token=token))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_kakao_rpcs_say_unimplemented(auth):
    stub, _, _ = auth
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest())
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize("secret", ["", "changeme", "short-secret"])
def test_weak_jwt_secrets_are_refused_at_start(secret):
    with pytest.raises(ValidationError, match="AUTH_JWT_SECRET"):
        AuthSettings(postgres_dsn="postgresql://x/auth", jwt_secret=secret)

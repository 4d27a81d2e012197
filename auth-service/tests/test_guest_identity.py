"""Tokens over real gRPC with a real PostgreSQL: guest identities, the published keys every
service verifies with, and every kind of forged or stale token refused."""

import base64
import json
import time

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from harness import auth_service, signing_key
from pydantic import ValidationError

from auth_service.settings import AuthSettings
from tftkit.identity import (
    TokenVerifier,
    auth_service_keys,
    load_signing_key,
    sign_token,
)
from thefirsttake.auth.v1 import auth_pb2


@pytest.fixture
async def auth():
    async with auth_service() as running:
        yield running


async def test_guest_token_verifies_to_the_stored_guest(auth):
    issued = await auth.stub.IssueGuest(auth_pb2.IssueGuestRequest())
    assert issued.identity.is_guest
    identity = await auth.stub.Verify(auth_pb2.VerifyRequest(token=issued.access_token))
    assert identity.user_id == issued.identity.user_id
    stored = await auth.pool.fetchval(
        "SELECT is_guest FROM users WHERE id = $1::uuid", identity.user_id
    )
    assert stored is True
    me = await auth.stub.GetMe(auth_pb2.GetMeRequest(token=issued.access_token))
    assert (me.user_id, me.is_guest, me.nickname) == (identity.user_id, True, "게스트")
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "typ"} <= set(claims)
    assert jwt.get_unverified_header(issued.access_token)["alg"] == "EdDSA"


async def test_another_service_verifies_tokens_with_the_published_keys(auth):
    issued = await auth.stub.IssueGuest(auth_pb2.IssueGuestRequest())
    verifier = TokenVerifier(auth_service_keys(auth.channel))
    identity = await verifier.verify(issued.access_token)
    assert identity.user_id == issued.identity.user_id and identity.is_guest


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _forged(kind: str, user_id: str, settings: AuthSettings, public_pem: str) -> str:
    key = load_signing_key(settings.signing_key)
    now = int(time.time())
    claims = {
        "iss": "thefirsttake-auth",
        "aud": "thefirsttake",
        "sub": user_id,
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": "x",
    }
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if kind == "hs256_with_public_key":
        # The classic confusion attack: an HMAC keyed with the (public) verification key.
        import hashlib
        import hmac

        header = {"alg": "HS256", "typ": "JWT"}
        body = f"{_b64(header)}.{_b64(claims)}".encode()
        mac = hmac.new(public_pem.encode(), body, hashlib.sha256).digest()
        return body.decode() + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")
    if kind == "other_key":
        return sign_token(
            private_key=Ed25519PrivateKey.generate(),
            user_id=user_id,
            token_type="access",
            ttl_seconds=600,
        )
    if kind == "expired":
        return sign_token(private_key=key, user_id=user_id, token_type="access", ttl_seconds=-10)
    if kind == "other_audience":
        claims["aud"] = "someone-else"
        return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": _kid(key)})
    if kind == "refresh_like_type":
        claims["typ"] = "refresh"
        return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": _kid(key)})
    if kind == "tampered":
        good = sign_token(private_key=key, user_id=user_id, token_type="access", ttl_seconds=60)
        head, body, sig = good.split(".")
        other = json.loads(base64.urlsafe_b64decode(body + "=="))
        other["sub"] = "someone-else"
        return f"{head}.{_b64(other)}.{sig}"
    raise AssertionError(kind)


def _kid(key: Ed25519PrivateKey) -> str:
    from tftkit.identity import key_id

    return key_id(key.public_key())


@pytest.mark.parametrize(
    "kind",
    [
        "alg_none",
        "hs256_with_public_key",
        "other_key",
        "expired",
        "other_audience",
        "refresh_like_type",
        "tampered",
    ],
)
async def test_forged_or_stale_tokens_are_unauthenticated(auth, kind):
    issued = await auth.stub.IssueGuest(auth_pb2.IssueGuestRequest())
    keys = await auth.stub.GetPublicKeys(auth_pb2.GetPublicKeysRequest())
    token = _forged(kind, issued.identity.user_id, auth.settings, keys.keys[0].pem)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.stub.Verify(auth_pb2.VerifyRequest(token=token))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_rotated_key_still_verifies_until_retired_and_is_learnt_without_restart():
    old = signing_key()
    async with auth_service(signing_key=old) as first:
        issued = await first.stub.IssueGuest(auth_pb2.IssueGuestRequest())
    from tftkit.identity import encode_public_key

    new = signing_key()
    retired = encode_public_key(load_signing_key(old).public_key())
    async with auth_service(signing_key=new, retired_public_keys=retired) as second:
        verifier = TokenVerifier(auth_service_keys(second.channel))
        assert (await verifier.verify(issued.access_token)).user_id == issued.identity.user_id
        fresh = await second.stub.IssueGuest(auth_pb2.IssueGuestRequest())
        assert (await verifier.verify(fresh.access_token)).is_guest


@pytest.mark.parametrize("value", ["", "changeme", "c2hvcnQ"])
def test_a_missing_or_malformed_signing_key_is_refused_at_start(value):
    with pytest.raises(ValidationError, match="signing_key"):
        AuthSettings(postgres_dsn="postgresql://x/auth", signing_key=value)

"""Who a call acts for, proven by a token that auth-service signed (EdDSA), which every service
verifies itself with auth-service's public keys.

The token travels in gRPC metadata as `authorization: Bearer <token>`. This module owns its
format (issuer, audience, types, algorithm) for the signer and every verifier; keys are fetched
from auth-service and cached, and an unknown key id triggers a fresh fetch, so a key rotation
needs no restart. A bare user id from a caller proves nothing and is not read.
"""

import asyncio
import base64
import contextvars
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

AUTHORIZATION_METADATA_KEY = "authorization"
TOKEN_ISSUER = "thefirsttake-auth"
TOKEN_AUDIENCE = "thefirsttake"
ALGORITHM = "EdDSA"
# Token types: a guest's identity (long-lived, no account), a logged-in user's access token,
# and a token auth-service issued to an internal client acting for a user.
GUEST, ACCESS, SERVICE = "guest", "access", "service"
USER_TOKEN_TYPES = frozenset({GUEST, ACCESS, SERVICE})


class InvalidIdentity(Exception):
    """The token is missing, malformed, badly signed, expired or not meant for us."""


@dataclass(frozen=True)
class Identity:
    user_id: str
    is_guest: bool
    # The token itself, forwarded when this service calls another for the same user.
    token: str
    # For service tokens: the internal client acting for the user.
    actor: str = ""


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable id of a public key (its SHA-256 thumbprint)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_pem(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def load_signing_key(value: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from its 32-byte seed in URL-safe base64 (one line, so it fits an
    environment variable, a .env file and a Kubernetes Secret alike)."""
    try:
        seed = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
        return Ed25519PrivateKey.from_private_bytes(seed)
    except ValueError as error:
        raise ValueError("not a base64url-encoded 32-byte Ed25519 key") from error


def load_public_key(value: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes in URL-safe base64."""
    try:
        raw = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise ValueError("not a base64url-encoded 32-byte Ed25519 public key") from error


def encode_public_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_signing_key() -> str:
    """A fresh signing key in the form `load_signing_key` reads (the launcher's first run)."""
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.urlsafe_b64encode(seed).decode().rstrip("=")


def sign_token(
    *,
    private_key: Ed25519PrivateKey,
    user_id: str,
    token_type: str,
    ttl_seconds: int,
    actor: str = "",
) -> str:
    """A signed token naming `user_id` (only auth-service holds a private key)."""
    now = int(time.time())
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": user_id,
        "typ": token_type,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    if actor:
        claims["act"] = {"sub": actor}
    headers = {"kid": key_id(private_key.public_key())}
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers=headers)


# Finds the public key of a key id (None when unknown).
KeyLookup = Callable[[str], Awaitable[Ed25519PublicKey | None]]


class TokenVerifier:
    """Verifies tokens with the public keys a lookup gives (local keys, or auth-service's)."""

    def __init__(self, lookup: KeyLookup, *, types: Iterable[str] = USER_TOKEN_TYPES) -> None:
        self._lookup = lookup
        self._types = frozenset(types)

    async def verify(self, token: str) -> Identity:
        if not token or len(token) > 4096:
            raise InvalidIdentity("token is missing")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidIdentity("token is malformed") from error
        # Only EdDSA: `none`, or an HMAC "signed" with our public key, never pass.
        if header.get("alg") != ALGORITHM:
            raise InvalidIdentity("token algorithm is not accepted")
        key = await self._lookup(str(header.get("kid", "")))
        if key is None:
            raise InvalidIdentity("token key is unknown")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=TOKEN_AUDIENCE,
                issuer=TOKEN_ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidIdentity("token is invalid or expired") from error
        kind = claims.get("typ")
        if kind not in self._types:
            raise InvalidIdentity("token is not an identity token")
        actor = claims.get("act", {}).get("sub", "") if isinstance(claims.get("act"), dict) else ""
        return Identity(
            user_id=str(claims["sub"]), is_guest=kind == GUEST, token=token, actor=str(actor)
        )


def static_keys(*public_keys: Ed25519PublicKey) -> KeyLookup:
    """A lookup over keys this process holds (auth-service itself, tests)."""
    by_id = {key_id(key): key for key in public_keys}

    async def lookup(kid: str) -> Ed25519PublicKey | None:
        return by_id.get(kid)

    return lookup


class FetchedKeys:
    """auth-service's public keys, fetched over gRPC and cached; an unknown key id fetches
    again (at most every `min_refresh_seconds`), which is how a rotated key is learnt."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[dict[str, str]]],
        *,
        min_refresh_seconds: float = 10.0,
    ) -> None:
        self._fetch = fetch
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = float("-inf")
        self._min_refresh = min_refresh_seconds
        self._lock = asyncio.Lock()

    async def __call__(self, kid: str) -> Ed25519PublicKey | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self._min_refresh:
                self._fetched_at = time.monotonic()
                try:
                    pems = await self._fetch()
                except grpc.aio.AioRpcError:
                    return None
                self._keys = {k: load_public_pem(pem) for k, pem in pems.items()}
        return self._keys.get(kid)


def auth_service_keys(channel: grpc.aio.Channel, *, timeout_seconds: float = 3.0) -> FetchedKeys:
    """The key lookup every service uses: auth-service's GetPublicKeys, cached."""
    from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc

    stub = auth_pb2_grpc.AuthServiceStub(channel)

    async def fetch() -> dict[str, str]:
        answer = await stub.GetPublicKeys(auth_pb2.GetPublicKeysRequest(), timeout=timeout_seconds)
        return {key.kid: key.pem for key in answer.keys}

    return FetchedKeys(fetch)


def auth_service_verifier(channel: grpc.aio.Channel) -> TokenVerifier:
    """The verifier of a service: user tokens, checked with auth-service's published keys."""
    return TokenVerifier(auth_service_keys(channel))


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Metadata that makes a call act for the token's user."""
    return ((AUTHORIZATION_METADATA_KEY, f"Bearer {token}"),)


def bearer_token(context: grpc.aio.ServicerContext) -> str:
    """The bearer token a call carries, or ''."""
    for key, value in context.invocation_metadata() or ():
        if key == AUTHORIZATION_METADATA_KEY and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return ""


# Set by the server bootstrap once the call's token is verified (tftkit.grpc_server).
_CALLER: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "tft_caller", default=None
)


def set_caller(identity: Identity | None) -> contextvars.Token:
    return _CALLER.set(identity)


def current_caller() -> Identity | None:
    return _CALLER.get()


async def caller(context: grpc.aio.ServicerContext) -> Identity:
    """The verified identity the call acts for; aborts UNAUTHENTICATED without one."""
    identity = _CALLER.get()
    if identity is None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a signed caller identity is required")
        raise AssertionError("unreachable")
    return identity


async def caller_id(context: grpc.aio.ServicerContext) -> str:
    """The user the call acts for (verified); aborts UNAUTHENTICATED without one."""
    return (await caller(context)).user_id


async def guest_handover(
    context: grpc.aio.ServicerContext, verifier: TokenVerifier, guest_token: str
) -> tuple[Identity, Identity]:
    """(account, guest) of a call in which a logged-in account takes over what a guest owned:
    the call acts for the account, and `guest_token` proves the caller was that guest.
    Aborts PERMISSION_DENIED otherwise (no proof, not a guest, or a guest taking a guest)."""
    account = await caller(context)
    try:
        guest = await verifier.verify(guest_token)
    except InvalidIdentity:
        guest = None
    if guest is None or not guest.is_guest or account.is_guest:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "not a valid guest token")
        raise AssertionError("unreachable")
    return account, guest

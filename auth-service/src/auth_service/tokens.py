"""The tokens auth-service signs (guest, access, service) and the verifier of its own keys.
The token format itself belongs to `tftkit.identity`, which every service verifies with."""

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auth_service.metrics import JWT_GENERATION
from auth_service.settings import AuthSettings
from tftkit.identity import (
    ACCESS,
    GUEST,
    SERVICE,
    TokenVerifier,
    key_id,
    load_public_key,
    load_signing_key,
    public_pem,
    sign_token,
    static_keys,
)


class TokenIssuer:
    def __init__(self, settings: AuthSettings) -> None:
        self._key = load_signing_key(settings.signing_key)
        self._settings = settings
        retired = [load_public_key(value) for value in settings.retired_public_keys]
        self.public_keys: list[Ed25519PublicKey] = [self._key.public_key(), *retired]
        self.verifier = TokenVerifier(static_keys(*self.public_keys))

    def published(self) -> list[tuple[str, str]]:
        """(kid, PEM) of every key a token may be signed with."""
        return [(key_id(key), public_pem(key)) for key in self.public_keys]

    def _sign(self, user_id: str, kind: str, ttl_seconds: int, actor: str = "") -> str:
        started = time.perf_counter()
        token = sign_token(
            private_key=self._key,
            user_id=user_id,
            token_type=kind,
            ttl_seconds=ttl_seconds,
            actor=actor,
        )
        JWT_GENERATION.labels(kind).observe(time.perf_counter() - started)
        return token

    @property
    def guest_ttl(self) -> int:
        return self._settings.guest_token_ttl_days * 24 * 3600

    def guest(self, user_id: str) -> str:
        return self._sign(user_id, GUEST, self.guest_ttl)

    def access(self, user_id: str) -> str:
        return self._sign(user_id, ACCESS, self._settings.access_token_ttl_seconds)

    def service(self, user_id: str, *, client: str) -> str:
        return self._sign(user_id, SERVICE, self._settings.service_token_ttl_seconds, client)

"""Internal clients (other teams' jobs and tools) that may act for a user: each has a name and
a secret, configured as `name:sha256-hex-of-secret` so the settings never hold the secret."""

import hashlib
import hmac


class ServiceClients:
    def __init__(self, entries: list[str]) -> None:
        self._hashes: dict[str, str] = {}
        for entry in entries:
            name, _, digest = entry.partition(":")
            if not name or len(digest) != 64:
                raise ValueError(f"service client {entry!r} is not name:sha256-hex")
            self._hashes[name] = digest.lower()

    def check(self, client_id: str, secret: str) -> bool:
        """True when `secret` is this client's (compared in constant time)."""
        expected = self._hashes.get(client_id)
        given = hashlib.sha256(secret.encode()).hexdigest()
        return expected is not None and bool(secret) and hmac.compare_digest(expected, given)

"""Refresh tokens: opaque, stored hashed, rotated on every use; a token presented after it was
rotated means it was copied, so its whole family (that login's every token) is revoked."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg


class RefreshRefused(Exception):
    """Unknown, expired, revoked or already-rotated token."""


@dataclass(frozen=True)
class Rotated:
    user_id: str
    token: str


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue(
    *,
    db: asyncpg.Pool | asyncpg.Connection,
    user_id: str,
    ttl_seconds: int,
    family: uuid.UUID | None = None,
) -> str:
    """A new refresh token for `user_id` (a new family unless one is given)."""
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)"
        " VALUES ($1, $2, $3::uuid, $4, $5)",
        uuid.uuid4(),
        family or uuid.uuid4(),
        user_id,
        _hash(token),
        datetime.now(UTC) + timedelta(seconds=ttl_seconds),
    )
    return token


async def rotate(*, pool: asyncpg.Pool, token: str, ttl_seconds: int) -> Rotated:
    """The next token of the family; raises RefreshRefused (revoking the family on reuse)."""
    refusal = ""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "SELECT id, family_id, user_id, expires_at, rotated_at, revoked_at"
            " FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
            _hash(token),
        )
        if row is None:
            refusal = "unknown refresh token"
        elif row["rotated_at"] is not None or row["revoked_at"] is not None:
            # Committed with this transaction: the reuse leaves the family revoked.
            await _revoke_family(connection, row["family_id"])
            refusal = "refresh token was already used"
        elif row["expires_at"] <= datetime.now(UTC):
            refusal = "refresh token has expired"
        else:
            await connection.execute(
                "UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1", row["id"]
            )
            user_id = str(row["user_id"])
            new = await issue(
                db=connection, user_id=user_id, ttl_seconds=ttl_seconds, family=row["family_id"]
            )
    if refusal:
        raise RefreshRefused(refusal)
    return Rotated(user_id=user_id, token=new)


async def revoke(*, pool: asyncpg.Pool, token: str) -> bool:
    """Revokes the token's family (logout); False when the token is unknown."""
    async with pool.acquire() as connection, connection.transaction():
        family = await connection.fetchval(
            "SELECT family_id FROM refresh_tokens WHERE token_hash = $1", _hash(token)
        )
        if family is None:
            return False
        await _revoke_family(connection, family)
    return True


async def _revoke_family(connection: asyncpg.Connection, family: uuid.UUID) -> None:
    await connection.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        family,
    )

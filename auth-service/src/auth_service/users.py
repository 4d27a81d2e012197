"""Users: guests and Kakao accounts, stored in the `auth` database."""

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class User:
    user_id: str
    is_guest: bool
    nickname: str
    profile_image: str


GUEST_NICKNAME = "게스트"


async def create_guest(*, pool: asyncpg.Pool) -> User:
    """Stores a new guest user."""
    user_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO users (id, is_guest, nickname) VALUES ($1, true, $2)", user_id, GUEST_NICKNAME
    )
    return User(user_id=str(user_id), is_guest=True, nickname=GUEST_NICKNAME, profile_image="")


async def find_user(*, pool: asyncpg.Pool, user_id: str) -> User | None:
    """The user with this id, or None."""
    try:
        key = uuid.UUID(user_id)
    except ValueError:
        return None
    row = await pool.fetchrow(
        "SELECT id, is_guest, nickname, profile_image FROM users WHERE id = $1", key
    )
    if row is None:
        return None
    return User(
        user_id=str(row["id"]),
        is_guest=row["is_guest"],
        nickname=row["nickname"],
        profile_image=row["profile_image"],
    )

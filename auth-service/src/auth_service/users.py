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


async def upsert_kakao_user(
    *, pool: asyncpg.Pool, kakao_id: int, nickname: str, profile_image: str
) -> User:
    """The account of this Kakao id, created on first login, its nickname and picture kept
    current."""
    row = await pool.fetchrow(
        "INSERT INTO users (id, is_guest, kakao_id, nickname, profile_image)"
        " VALUES ($1, false, $2, $3, $4)"
        " ON CONFLICT (kakao_id) DO UPDATE"
        " SET nickname = EXCLUDED.nickname, profile_image = EXCLUDED.profile_image"
        " RETURNING id, nickname, profile_image",
        uuid.uuid4(),
        kakao_id,
        nickname,
        profile_image,
    )
    return User(
        user_id=str(row["id"]),
        is_guest=False,
        nickname=row["nickname"],
        profile_image=row["profile_image"],
    )


async def adopt_guest(*, pool: asyncpg.Pool, guest_id: str, user_id: str) -> bool:
    """Records that the account took over this guest; False when it is not a guest (or is
    already someone else's)."""
    status = await pool.execute(
        "UPDATE users SET merged_into = $2::uuid WHERE id = $1::uuid AND is_guest"
        " AND (merged_into IS NULL OR merged_into = $2::uuid)",
        guest_id,
        user_id,
    )
    return status.endswith("1")

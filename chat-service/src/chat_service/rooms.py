"""Rooms: each belongs to exactly one user."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg

_TITLE_CHARS = 30


class RoomNotFound(Exception):
    """No such room, or it belongs to someone else (the two are not told apart)."""


@dataclass(frozen=True)
class Room:
    id: int
    title: str
    created_at: datetime


def title_from(text: str) -> str:
    """A room title from the first thing the person said."""
    line = " ".join(text.split())
    return line if len(line) <= _TITLE_CHARS else line[: _TITLE_CHARS - 1] + "…"


def parse_room_id(value: str) -> int:
    """The numeric room id, or RoomNotFound for anything that is not one."""
    if not value.isdigit() or len(value) > 18:
        raise RoomNotFound(value)
    return int(value)


async def create_room(*, db: asyncpg.Pool | asyncpg.Connection, owner_id: str, title: str) -> Room:
    """A new room owned by `owner_id`."""
    row = await db.fetchrow(
        "INSERT INTO rooms (owner_id, title) VALUES ($1, $2) RETURNING id, title, created_at",
        owner_id,
        title or "새 대화",
    )
    return Room(**dict(row))


async def owned_room(*, db: asyncpg.Pool | asyncpg.Connection, owner_id: str, room_id: int) -> Room:
    """The room if `owner_id` owns it; RoomNotFound otherwise."""
    row = await db.fetchrow(
        "SELECT id, title, created_at FROM rooms WHERE id = $1 AND owner_id = $2", room_id, owner_id
    )
    if row is None:
        raise RoomNotFound(str(room_id))
    return Room(**dict(row))


async def list_rooms(*, db: asyncpg.Pool, owner_id: str, limit: int = 200) -> list[Room]:
    """The owner's rooms, newest first."""
    rows = await db.fetch(
        "SELECT id, title, created_at FROM rooms WHERE owner_id = $1"
        " ORDER BY created_at DESC, id DESC LIMIT $2",
        owner_id,
        limit,
    )
    return [Room(**dict(row)) for row in rows]


async def give_rooms(*, db: asyncpg.Pool, from_owner: str, to_owner: str) -> list[int]:
    """Moves every room of `from_owner` (their messages and turns go with them) to `to_owner`;
    the ids moved. Running it again moves nothing."""
    rows = await db.fetch(
        "UPDATE rooms SET owner_id = $2 WHERE owner_id = $1 RETURNING id", from_owner, to_owner
    )
    return [row["id"] for row in rows]

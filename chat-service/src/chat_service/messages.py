"""Messages of a room: the user's turns, the experts' answers, and keyset pages of them."""

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.common.v1 import common_pb2
from thefirsttake.expert.v1 import expert_pb2

MAX_PAGE = 100
DEFAULT_PAGE = 20


class BadCursor(ValueError):
    """`before` is neither a cursor we issued nor an ISO 8601 timestamp."""


@dataclass(frozen=True)
class ProductRef:
    product_id: str
    product_url: str
    reason: str = ""  # one line on why the expert chose it (absent in older rows)

    @classmethod
    def from_proto(cls, ref: common_pb2.ProductRef) -> "ProductRef":
        return cls(ref.product_id, ref.product_url, ref.reason)

    def to_proto(self) -> common_pb2.ProductRef:
        return common_pb2.ProductRef(
            product_id=self.product_id, product_url=self.product_url, reason=self.reason
        )


@dataclass(frozen=True)
class Answer:
    """One expert's completed answer within a turn."""

    agent_id: str
    agent_name: str
    agent_role: str
    message: str
    products: list[ProductRef] = field(default_factory=list)
    completed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    # An answer crosses the service edge in three shapes; each conversion lives here, once.
    @classmethod
    def from_expert(cls, done: expert_pb2.ExpertCompleted) -> "Answer":
        """An expert's completion as expert-service sends it."""
        return cls(
            agent_id=done.expert.agent_id,
            agent_name=done.expert.agent_name,
            agent_role=done.expert.agent_role,
            message=done.message,
            products=[ProductRef.from_proto(p) for p in done.products],
        )

    @classmethod
    def from_event(cls, event: chat_pb2.TurnEvent) -> "Answer":
        """A `complete` event of a turn's log, with the moment it was logged."""
        done = event.complete
        return cls(
            agent_id=done.agent_id,
            agent_name=done.agent_name,
            agent_role=done.agent_role,
            message=done.message,
            products=[ProductRef.from_proto(p) for p in done.products],
            completed_at=datetime.fromtimestamp(event.timestamp_ms / 1000, UTC),
        )

    def to_event(self) -> chat_pb2.ExpertComplete:
        return chat_pb2.ExpertComplete(
            agent_id=self.agent_id,
            agent_name=self.agent_name,
            agent_role=self.agent_role,
            message=self.message,
            products=[p.to_proto() for p in self.products],
        )


@dataclass(frozen=True)
class StoredMessage:
    id: int
    content: str
    image_url: str | None
    message_type: str
    created_at: datetime
    agent_type: str | None
    agent_name: str | None
    products: list[ProductRef]


@dataclass(frozen=True)
class Page:
    messages: list[StoredMessage]
    has_more: bool
    next_cursor: str


@dataclass(frozen=True)
class _Before:
    created_at: datetime
    id: int | None


async def store_user_message(
    *,
    conn: asyncpg.Connection,
    room_id: int,
    turn_id: uuid.UUID,
    content: str,
    image_url: str,
    polled: bool = False,
) -> int:
    """Records the turn and the person's message (call inside the turn's first transaction).
    A polled turn counts its answers handed out (`delivered`); a streamed one has none to."""
    await conn.execute(
        "INSERT INTO turns (id, room_id, delivered) VALUES ($1, $2, $3)",
        turn_id,
        room_id,
        0 if polled else None,
    )
    return await conn.fetchval(
        "INSERT INTO messages (room_id, turn_id, message_type, content, image_url)"
        " VALUES ($1, $2, 'USER', $3, $4) RETURNING id",
        room_id,
        turn_id,
        content,
        image_url or None,
    )


async def store_answers(
    *, pool: asyncpg.Pool, room_id: int, turn_id: uuid.UUID, answers: list[Answer], status: str
) -> int:
    """Writes a turn's answers in one transaction and closes the turn; returns rows written.

    An answer already stored for the same expert of the same turn is skipped, so calling
    this again (after a retry or a restart) never duplicates anything.
    """
    async with pool.acquire() as conn, conn.transaction():
        written = await conn.fetchval(
            """
            WITH inserted AS (
                INSERT INTO messages (room_id, turn_id, message_type, content, agent_type,
                                      agent_name, agent_role, products, created_at)
                SELECT $1, $2, 'AI', a.content, a.agent_type, a.agent_name, a.agent_role,
                       a.products::jsonb, a.created_at
                FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::timestamptz[])
                     AS a(content, agent_type, agent_name, agent_role, products, created_at)
                ON CONFLICT (turn_id, agent_type) WHERE message_type = 'AI' DO NOTHING
                RETURNING 1
            )
            SELECT count(*) FROM inserted
            """,
            room_id,
            turn_id,
            [a.message for a in answers],
            [a.agent_id for a in answers],
            [a.agent_name for a in answers],
            [a.agent_role for a in answers],
            [json.dumps([p.__dict__ for p in a.products]) for a in answers],
            [a.completed_at for a in answers],
        )
        await conn.execute(
            "UPDATE turns SET status = $2, finished_at = now() WHERE id = $1", turn_id, status
        )
    return written


async def stored_answers(*, pool: asyncpg.Pool, turn_id: uuid.UUID) -> list[Answer]:
    """A turn's stored answers in the order they completed."""
    rows = await pool.fetch(
        "SELECT agent_type, agent_name, agent_role, content, products, created_at FROM messages"
        " WHERE turn_id = $1 AND message_type = 'AI' ORDER BY created_at, id",
        turn_id,
    )
    return [
        Answer(
            agent_id=row["agent_type"],
            agent_name=row["agent_name"] or "",
            agent_role=row["agent_role"] or "",
            message=row["content"],
            products=[ProductRef(**p) for p in json.loads(row["products"])],
            completed_at=row["created_at"],
        )
        for row in rows
    ]


def encode_cursor(message: StoredMessage) -> str:
    raw = json.dumps([message.created_at.isoformat(), message.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_before(value: str) -> _Before | None:
    """A cursor we issued, or an ISO 8601 timestamp (with `Z` or an offset); None when empty."""
    if not value:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        stamp, message_id = json.loads(base64.urlsafe_b64decode(padded))
        return _Before(created_at=_aware(datetime.fromisoformat(stamp)), id=int(message_id))
    except (ValueError, TypeError):
        pass
    try:
        return _Before(created_at=_aware(datetime.fromisoformat(value)), id=None)
    except ValueError as error:
        raise BadCursor("before must be a cursor or an ISO 8601 timestamp") from error


def _aware(moment: datetime) -> datetime:
    # A timestamp without an offset is read as UTC rather than the server's local time.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def list_page(*, pool: asyncpg.Pool, room_id: int, limit: int, before: str) -> Page:
    """One page, newest page first, ascending within the page; keyset on (created_at, id)."""
    limit = DEFAULT_PAGE if limit <= 0 else min(limit, MAX_PAGE)
    bound = parse_before(before)
    query = "SELECT * FROM messages WHERE room_id = $1"
    args: list[object] = [room_id]
    if bound is not None and bound.id is not None:
        query += " AND (created_at, id) < ($2, $3)"
        args += [bound.created_at, bound.id]
    elif bound is not None:
        query += " AND created_at < $2"
        args.append(bound.created_at)
    query += f" ORDER BY created_at DESC, id DESC LIMIT {limit + 1}"
    rows = await pool.fetch(query, *args)
    has_more = len(rows) > limit
    newest_first = [_to_message(row) for row in rows[:limit]]
    page = list(reversed(newest_first))
    return Page(
        messages=page,
        has_more=has_more,
        next_cursor=encode_cursor(page[0]) if has_more else "",
    )


def _to_message(row: asyncpg.Record) -> StoredMessage:
    return StoredMessage(
        id=row["id"],
        content=row["content"],
        image_url=row["image_url"],
        message_type=row["message_type"],
        created_at=row["created_at"],
        agent_type=row["agent_type"],
        agent_name=row["agent_name"],
        products=[ProductRef(**p) for p in json.loads(row["products"])],
    )

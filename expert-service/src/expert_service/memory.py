"""Per-room memory in Redis: the cumulative prompt history and the profile of stated facts."""

import json
from dataclasses import asdict, fields

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from expert_service.brief import Brief, Intent, Piece

# Facts that outlive a turn. The last answer's request (intent, items, owned pieces, its look)
# is kept too, so a follow-up ("더 저렴하게") can change that answer.
_PROFILE_FIELDS = (
    "occasion",
    "tpo",
    "season",
    "liked_colours",
    "disliked_colours",
    "excluded_items",
    "body_type",
    "height_cm",
    "skin_tone",
    "styles",
    "budget_max",
    "budget_total",
    "gender",
    "formality_shift",
    "photo_colours",
    "intent",
    "items",
    "item_mains",
    "categories",
    "item_colours",
    "owned",
    "last_look",
    "last_cited",
)
_PIECES = ("owned", "last_look")


def room_scope(owner_id: str, room_id: str) -> str:
    """The memory key of a room: its owner's, so another user naming the same room id reaches
    none of it."""
    return f"{owner_id}/{room_id}"


class RoomMemory:
    """Reads and writes one room's history and profile."""

    def __init__(
        self, redis: Redis, *, prefix: str = "expert", max_turns: int = 20, ttl_seconds: int = 0
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._max_entries = max_turns * 5  # a user line and up to four answers per turn
        self._ttl = ttl_seconds

    def _key(self, kind: str, room_id: str) -> str:
        return f"{self._prefix}:{kind}:{room_id}"

    async def move(self, *, source: str, target: str) -> bool:
        """Gives a room's memory to another scope (a guest's room to the account that logged
        in); an existing target is kept. True when anything moved."""
        moved = False
        for kind in ("history", "profile"):
            try:
                moved |= bool(
                    await self._redis.renamenx(self._key(kind, source), self._key(kind, target))
                )
            except ResponseError:  # nothing under the source key
                continue
        return moved

    async def history(self, *, room_id: str) -> list[dict[str, str]]:
        """Earlier messages of the room, oldest first ({role, agent_id, text})."""
        raw = await self._redis.lrange(self._key("history", room_id), 0, -1)
        return [json.loads(item) for item in raw]

    async def remember_turn(
        self, *, room_id: str, user_input: str, answers: list[tuple[str, str]]
    ) -> None:
        """Appends the person's message and the experts' completed answers."""
        key = self._key("history", room_id)
        entries = [
            json.dumps({"role": "user", "agent_id": "", "text": user_input}, ensure_ascii=False)
        ]
        entries += [
            json.dumps({"role": "assistant", "agent_id": agent, "text": text}, ensure_ascii=False)
            for agent, text in answers
        ]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *entries)
            pipe.ltrim(key, -self._max_entries, -1)
            if self._ttl:
                pipe.expire(key, self._ttl)
            await pipe.execute()

    async def profile(self, *, room_id: str) -> Brief:
        """The facts the person gave earlier in this room (an empty brief when none)."""
        raw = await self._redis.get(self._key("profile", room_id))
        if not raw:
            return Brief()
        data = json.loads(raw)
        known = {f.name for f in fields(Brief)}
        kept = {k: v for k, v in data.items() if k in known and k in _PROFILE_FIELDS}
        for name in _PIECES:
            kept[name] = [Piece(**piece) for piece in kept.get(name, [])]
        kept["intent"] = Intent(kept.get("intent", Intent.FULL_LOOK))
        return Brief(**kept)

    async def save_profile(
        self, *, room_id: str, brief: Brief, look: list[Piece], cited: list[str]
    ) -> None:
        """Stores the merged facts and the answer (its look, every product cited) for the next
        turn."""
        data = {k: v for k, v in asdict(brief).items() if k in _PROFILE_FIELDS}
        data["last_look"] = [asdict(piece) for piece in look]
        data["last_cited"] = cited
        await self._redis.set(
            self._key("profile", room_id),
            json.dumps(data, ensure_ascii=False),
            ex=self._ttl or None,
        )

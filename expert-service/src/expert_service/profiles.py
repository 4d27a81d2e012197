"""The person's style profile: what the stylist remembers about them across all their rooms
(gender, height, body type, skin tone, likes, dislikes, budget), owned by them: shown, edited
and deleted at once. Stored in Redis by owner; the stylist reads it under each turn's own words."""

import json
from dataclasses import asdict, dataclass, field, replace

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from expert_service.brief import Brief
from expert_service.understanding import Understanding
from tftkit import text

GENDERS = ("", "MEN", "WOMEN")
_MAX_TEXT = 60
_MAX_WORDS = 20
_MAX_WORD = 30
_MAX_BUDGET = 10_000_000


class InvalidProfile(ValueError):
    """A value out of range; the message names the field."""


@dataclass(frozen=True)
class StyleProfile:
    gender: str = ""
    height_cm: int = 0
    body_type: str = ""
    skin_tone: str = ""
    likes: list[str] = field(default_factory=list)
    dislikes: list[str] = field(default_factory=list)
    budget: int = 0


def _clean(value: str, *, limit: int, name: str) -> str:
    # The text rule of tftkit.text, cleaning: a stray control character in a profile word
    # means nothing, so it is dropped rather than the whole profile refused (the gateway does
    # the same); lengths count the normalised words.
    try:
        return text.cleaned(value.strip(), field=name, max_chars=limit).strip()
    except text.BadText as error:
        raise InvalidProfile(str(error)) from None


def checked(profile: StyleProfile) -> StyleProfile:
    """The profile with text cleaned; raises InvalidProfile."""
    if profile.gender not in GENDERS:
        raise InvalidProfile("gender: MEN, WOMEN or empty")
    if profile.height_cm and not 100 <= profile.height_cm <= 230:
        raise InvalidProfile("height_cm: 100 to 230, or 0")
    if not 0 <= profile.budget <= _MAX_BUDGET:
        raise InvalidProfile(f"budget: 0 to {_MAX_BUDGET}")
    words = {}
    for name in ("likes", "dislikes"):
        values = [_clean(v, limit=_MAX_WORD, name=name) for v in getattr(profile, name)]
        values = list(dict.fromkeys(v for v in values if v))
        if len(values) > _MAX_WORDS:
            raise InvalidProfile(f"{name}: at most {_MAX_WORDS} entries")
        words[name] = values
    return replace(
        profile,
        body_type=_clean(profile.body_type, limit=_MAX_TEXT, name="body_type"),
        skin_tone=_clean(profile.skin_tone, limit=_MAX_TEXT, name="skin_tone"),
        **words,
    )


async def as_brief(profile: StyleProfile, *, understanding: Understanding) -> Brief:
    """The profile read the way a message is read, so free words ("여름 쿨톤", "어깨가 넓은 편",
    "네이비") land on the same knowledge as when they are said in a chat."""
    parts = [profile.body_type, profile.skin_tone]
    parts += [f"{word} 좋아해요" for word in profile.likes]
    parts += [f"{word}은 빼고" for word in profile.dislikes]
    text = ". ".join(p for p in parts if p)
    brief = await understanding.read(text=text) if text else Brief()
    # Only standing facts: what one profile word names is no request for this turn.
    return Brief(
        liked_colours=brief.liked_colours,
        disliked_colours=brief.disliked_colours,
        excluded_items=brief.excluded_items,
        body_type=brief.body_type,
        skin_tone=brief.skin_tone,
        styles=brief.styles,
        gender=profile.gender or brief.gender,
        height_cm=profile.height_cm or brief.height_cm,
        budget_max=profile.budget or brief.budget_max,
    )


class ProfileStore:
    def __init__(self, redis: Redis, *, prefix: str = "expert") -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, owner_id: str) -> str:
        return f"{self._prefix}:person:{owner_id}"

    async def get(self, owner_id: str) -> StyleProfile:
        raw = await self._redis.get(self._key(owner_id))
        if not raw:
            return StyleProfile()
        data = json.loads(raw)
        known = StyleProfile.__dataclass_fields__
        return StyleProfile(**{k: v for k, v in data.items() if k in known})

    async def put(self, owner_id: str, profile: StyleProfile) -> StyleProfile:
        profile = checked(profile)
        await self._redis.set(self._key(owner_id), json.dumps(asdict(profile), ensure_ascii=False))
        return profile

    async def delete(self, owner_id: str) -> None:
        await self._redis.delete(self._key(owner_id))

    async def move(self, *, source: str, target: str) -> bool:
        """A guest's profile becomes the account's, unless the account has one already."""
        try:
            return bool(await self._redis.renamenx(self._key(source), self._key(target)))
        except ResponseError:  # nothing under the source key
            return False

"""The person's style profile: what the stylist remembers about them (one per user, across
all rooms), shown, edited and deleted by them. expert-service owns it and checks its values."""

from typing import Any

from fastapi import APIRouter

from gateway.deps import ClientsDep, CurrentUser, KnownUser
from gateway.errors import envelope
from gateway.schemas import DOWNSTREAM, EmptyEnvelope, Envelope, StyleProfileData, error_responses
from thefirsttake.expert.v1 import expert_pb2

router = APIRouter(prefix="/api/profile", tags=["profile"])


def _data(profile: expert_pb2.StyleProfile | None) -> dict[str, Any]:
    profile = profile or expert_pb2.StyleProfile()
    return {
        "gender": profile.gender,
        "height": profile.height_cm or None,
        "body_type": profile.body_type,
        "skin_tone": profile.skin_tone,
        "likes": list(profile.likes),
        "dislikes": list(profile.dislikes),
        "budget": profile.budget or None,
    }


@router.get(
    "",
    summary="What the stylist remembers about the caller (empty for someone new)",
    response_model=Envelope[StyleProfileData],
    responses=error_responses(401, *DOWNSTREAM, notes={401: "an expired login (refresh)"}),
)
async def get_profile(user: KnownUser, clients: ClientsDep):
    # Someone without an identity yet has an empty profile, and gets no identity for asking.
    profile = await clients.get_profile(user) if user is not None else None
    return envelope(_data(profile))


@router.put(
    "",
    summary="Replaces the caller's profile",
    response_model=Envelope[StyleProfileData],
    responses=error_responses(
        400,
        401,
        403,
        413,
        422,
        *DOWNSTREAM,
        notes={400: "a value out of range (the field is named)"},
    ),
)
async def put_profile(body: StyleProfileData, user: CurrentUser, clients: ClientsDep):
    stored = await clients.put_profile(
        user,
        expert_pb2.StyleProfile(
            gender=body.gender or "",
            height_cm=body.height or 0,
            body_type=body.body_type or "",
            skin_tone=body.skin_tone or "",
            likes=body.likes,
            dislikes=body.dislikes,
            budget=body.budget or 0,
        ),
    )
    return envelope(_data(stored), "스타일 프로필을 저장했어요.")


@router.delete(
    "",
    summary="Forgets the caller's profile at once",
    response_model=EmptyEnvelope,
    responses=error_responses(401, 403, *DOWNSTREAM),
)
async def delete_profile(user: KnownUser, clients: ClientsDep):
    if user is not None:
        await clients.delete_profile(user)
    return envelope(None, "스타일 프로필을 지웠어요.")

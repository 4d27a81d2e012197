"""ExpertService over gRPC: converts between proto and the panel's domain, maps errors."""

import grpc
from redis.exceptions import RedisError

from expert_service.experts import PANEL, Expert, UnknownExpertError
from expert_service.memory import room_scope
from expert_service.panel import Completed, Delta, Failed, Panel, PanelEvent
from expert_service.products import CatalogUnavailableError
from expert_service.profiles import InvalidProfile, StyleProfile
from tftkit.identity import TokenVerifier, caller_id, guest_handover
from tftkit.text import BadText
from tftkit.text import checked as checked_text
from thefirsttake.common.v1 import common_pb2
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc

_MAX_INPUT_CHARS = 2000


def _expert(expert: Expert) -> expert_pb2.Expert:
    return expert_pb2.Expert(
        agent_id=expert.agent_id, agent_name=expert.agent_name, agent_role=expert.agent_role
    )


def to_proto(event: PanelEvent) -> expert_pb2.ConsultEvent:
    """One domain event as a ConsultEvent."""
    if isinstance(event, Delta):
        return expert_pb2.ConsultEvent(
            delta=expert_pb2.ExpertDelta(expert=_expert(event.expert), text=event.text)
        )
    if isinstance(event, Completed):
        refs = [
            common_pb2.ProductRef(
                product_id=p.product_id,
                product_url=p.image_url,
                reason=event.reasons.get(p.product_id, ""),
            )
            for p in event.products
        ]
        return expert_pb2.ConsultEvent(
            completed=expert_pb2.ExpertCompleted(
                expert=_expert(event.expert), message=event.text, products=refs
            )
        )
    assert isinstance(event, Failed)
    return expert_pb2.ConsultEvent(
        failed=expert_pb2.ExpertFailed(expert=_expert(event.expert), message=event.message)
    )


class ExpertServicer(expert_pb2_grpc.ExpertServiceServicer):
    """The gRPC face of the panel."""

    def __init__(self, panel: Panel, *, verifier: TokenVerifier) -> None:
        self._panel = panel
        # Checks the guest token of AdoptGuestMemory (the caller's own token is checked by
        # the server bootstrap).
        self._verifier = verifier

    async def ListExperts(self, request, context):
        return expert_pb2.ListExpertsResponse(experts=[_expert(e) for e in PANEL])

    async def AdoptGuestMemory(self, request, context):
        account, guest = await guest_handover(context, self._verifier, request.guest_token)
        # The guest's style profile too, unless the account already has its own.
        await self._panel.profiles.move(source=guest.user_id, target=account.user_id)
        adopted = 0
        for room_id in request.room_ids:
            adopted += await self._panel.memory.move(
                source=room_scope(guest.user_id, room_id),
                target=room_scope(account.user_id, room_id),
            )
        return expert_pb2.AdoptGuestMemoryResponse(adopted_rooms=adopted)

    async def GetProfile(self, request, context) -> expert_pb2.StyleProfile:
        owner = await caller_id(context)
        return _profile_proto(await self._panel.profiles.get(owner))

    async def PutProfile(self, request, context) -> expert_pb2.StyleProfile:
        owner = await caller_id(context)
        try:
            stored = await self._panel.profiles.put(owner, _profile(request))
        except InvalidProfile as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return _profile_proto(stored)

    async def DeleteProfile(self, request, context) -> expert_pb2.DeleteProfileResponse:
        owner = await caller_id(context)
        await self._panel.profiles.delete(owner)
        return expert_pb2.DeleteProfileResponse()

    async def Consult(self, request, context):
        try:
            # The text rule of tftkit.text, refusing (the message is kept in the room's memory);
            # chat-service has checked it already, a direct caller meets it here.
            text = checked_text(
                request.user_input, field="user_input", max_chars=_MAX_INPUT_CHARS
            ).strip()
        except BadText as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        if not text and not request.image_url:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "user_input is empty")
        if not request.room_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "room_id is required")
        owner = await caller_id(context)
        try:
            events = self._panel.consult(
                room_id=room_scope(owner, request.room_id),
                owner_id=owner,
                user_input=text or "사진 속 옷에 어울리는 코디를 추천해줘",
                image_url=request.image_url,
                expert_ids=list(request.expert_ids),
            )
            async for event in events:
                yield to_proto(event)
        except UnknownExpertError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except CatalogUnavailableError:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "product catalog is unavailable")
        except RedisError:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "conversation memory is unavailable")


def _profile(message: expert_pb2.StyleProfile) -> StyleProfile:
    return StyleProfile(
        gender=message.gender,
        height_cm=message.height_cm,
        body_type=message.body_type,
        skin_tone=message.skin_tone,
        likes=list(message.likes),
        dislikes=list(message.dislikes),
        budget=message.budget,
    )


def _profile_proto(profile: StyleProfile) -> expert_pb2.StyleProfile:
    return expert_pb2.StyleProfile(
        gender=profile.gender,
        height_cm=profile.height_cm,
        body_type=profile.body_type,
        skin_tone=profile.skin_tone,
        likes=profile.likes,
        dislikes=profile.dislikes,
        budget=profile.budget,
    )

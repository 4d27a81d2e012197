"""The one call chat-service makes to expert-service."""

from collections.abc import AsyncIterator

from tftkit.identity import bearer_metadata
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc


async def consult(
    *,
    stub: expert_pb2_grpc.ExpertServiceStub,
    token: str,
    room_id: int,
    user_input: str,
    image_url: str,
    expert_ids: list[str],
    timeout_seconds: float,
) -> AsyncIterator[expert_pb2.ConsultEvent]:
    """The experts' events for one turn, within one deadline for the whole stream."""
    request = expert_pb2.ConsultRequest(
        room_id=str(room_id), user_input=user_input, image_url=image_url, expert_ids=expert_ids
    )
    calls = stub.Consult(request, metadata=bearer_metadata(token), timeout=timeout_seconds)
    async for event in calls:
        yield event

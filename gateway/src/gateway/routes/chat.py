"""Chat: rooms, history, messages, the SSE turn streams, uploads, product info."""

from typing import Annotated
from urllib.parse import urlsplit

import grpc
from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from gateway.body_limits import upload_too_large
from gateway.deps import ClientsDep, CurrentUser, KnownUser
from gateway.errors import ApiError, envelope
from gateway.metrics import ReceivedAt
from gateway.schemas import (
    DOWNSTREAM,
    PRODUCT_ID_PATTERN,
    ROOM_ID_OR_EMPTY_PATTERN,
    ROOM_ID_PATTERN,
    UPLOAD_ID_PATTERN,
    Envelope,
    MessagePageData,
    PendingEnvelope,
    ProductData,
    ReceiveEnvelope,
    RoomData,
    RoomHistoryData,
    SentData,
    checked_text,
    error_responses,
    image_response,
    link,
    product_refs,
    sse_response,
    text_schema,
)
from gateway.sse import EventStream, OpenStreams, event_stream, first_event
from tftkit.identity import Identity
from tftkit.rate_limit import RETRY_AFTER_METADATA_KEY
from thefirsttake.chat.v1 import chat_pb2

router = APIRouter(prefix="/api/chat", tags=["chat"])

EXPERT_IDS = ("style_analyst", "trend_expert", "color_expert", "fitting_coordinator")
# A turn: refused before the stream starts with 400 (unknown experts, a malformed Last-Event-ID,
# an invalid turn), 404 (not the caller's room or turn, or an upload that is not theirs), 429
# (too many turns; Retry-After) or 503 (this gateway holds all the streams it may, or is short
# of memory; Retry-After); failures once it runs arrive as `error` events.
_STREAM_RESPONSES = {
    **sse_response(
        "the turn's events: room (a new room), connect, content, complete, final_complete, error"
    ),
    **error_responses(
        400,
        401,
        404,
        422,
        429,
        *DOWNSTREAM,
        notes={
            429: "too many turns this minute, or running now (Retry-After)",
            503: "this gateway holds all the streams it may or is short of memory, or a "
            "service is unavailable (Retry-After when it is the gateway)",
        },
    ),
}
_ROOM_ID = "$response.body#/data/id"
_IN_ROOM = "/api/chat/rooms/{room_id}/messages"

# Lengths are checked by the text rule after normalising (a Mac's decomposed Hangul counts as
# the syllables it shows); the schema states them.
MAX_INPUT_CHARS = 2000
MAX_URL_CHARS = 2048
UserInput = Annotated[
    str,
    Query(
        min_length=1,
        description="what the person says",
        json_schema_extra=text_schema(MAX_INPUT_CHARS),
    ),
    checked_text(MAX_INPUT_CHARS),
]
ImageUrl = Annotated[
    str,
    Query(description="an uploaded image's URL", json_schema_extra=text_schema(MAX_URL_CHARS)),
    checked_text(MAX_URL_CHARS),
]
RoomIdPath = Annotated[str, Path(pattern=ROOM_ID_PATTERN)]
Experts = Annotated[str, Query(description="comma-separated agent ids; all when empty")]
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID")]


def _room(room: chat_pb2.Room) -> dict[str, str | int]:
    return {"id": int(room.id), "title": room.title, "created_at": room.created_at}


_UPLOADS_PATH = "/api/chat/uploads/"


def upload_id_of(image_url: str) -> str:
    """The upload an image URL of ours names ('' for any other URL): chat-service then checks
    it is the caller's own and gives it to the experts from the store."""
    path = urlsplit(image_url).path
    if path.startswith(_UPLOADS_PATH):
        return path[len(_UPLOADS_PATH) :].strip("/")
    return ""


def _retry_after_given(error: grpc.aio.AioRpcError) -> bool:
    return any(key == RETRY_AFTER_METADATA_KEY for key, _ in error.trailing_metadata() or ())


def _expert_ids(value: str) -> list[str]:
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in EXPERT_IDS]
    if unknown:
        raise ApiError(
            400, f"unknown experts: {', '.join(unknown)}; choose from {', '.join(EXPERT_IDS)}"
        )
    return chosen


@router.post(
    "/rooms",
    status_code=201,
    summary="Create a room",
    response_model=Envelope[RoomData],
    responses={
        201: {
            "links": {
                "messages": link("GET", _IN_ROOM, {"path.room_id": _ROOM_ID}),
                "stream": link("GET", _IN_ROOM + "/stream", {"path.room_id": _ROOM_ID}),
                "send": link("POST", "/api/chat/send", {"query.roomId": _ROOM_ID}),
                "receive": link("GET", "/api/chat/receive", {"query.roomId": _ROOM_ID}),
            }
        },
        **error_responses(401, 403, *DOWNSTREAM),
    },
)
async def create_room(user: CurrentUser, clients: ClientsDep):
    room = await clients.create_room(user, "")
    return envelope(_room(room), "채팅방이 생성되었습니다.")


@router.get(
    "/rooms/history",
    summary="The caller's rooms, newest first",
    response_model=Envelope[RoomHistoryData],
    responses=error_responses(401, *DOWNSTREAM),
)
async def room_history(user: KnownUser, clients: ClientsDep):
    if user is None:
        return envelope({"all_rooms": []})
    response = await clients.list_rooms(user)
    return envelope({"all_rooms": [_room(room) for room in response.rooms]})


@router.get(
    "/rooms/{room_id}/messages",
    summary="One page of a room's messages",
    response_model=Envelope[MessagePageData],
    responses={
        200: {
            "links": {
                "older": link(
                    "GET",
                    _IN_ROOM,
                    {
                        "path.room_id": "$request.path.room_id",
                        "query.before": "$response.body#/data/next_cursor",
                    },
                )
            }
        },
        **error_responses(
            400, 401, 404, 422, *DOWNSTREAM, notes={400: "`before` is not a cursor or a time"}
        ),
    },
)
async def room_messages(
    room_id: RoomIdPath,
    user: KnownUser,
    clients: ClientsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[str, Query(max_length=200, description="next_cursor or ISO 8601")] = "",
):
    if user is None:
        raise ApiError(404, "room not found")
    page = await clients.list_messages(user, room_id, limit, before)
    messages = [
        {
            "id": int(m.id),
            "content": m.content,
            "image_url": m.image_url or None,
            "message_type": m.message_type,
            "created_at": m.created_at,
            "agent_type": m.agent_type or None,
            "agent_name": m.agent_name or None,
            "product_image_url": [p.product_url for p in m.products],
            "products": product_refs(m.products),
        }
        for m in page.messages
    ]
    return envelope(
        {
            "messages": messages,
            "has_more": page.has_more,
            "next_cursor": page.next_cursor or None,
            "count": len(messages),
        }
    )


def _open_streams(request: Request) -> OpenStreams:
    return request.app.state.streams


OpenStreamsDep = Annotated[OpenStreams, Depends(_open_streams)]


async def _stream(
    clients: ClientsDep,
    streams: OpenStreams,
    user: Identity,
    request: chat_pb2.StreamTurnRequest,
    last_event_id: str | None,
    received_at: float,
) -> EventStream:
    # Refused (503) before chat-service starts anything when this process is full.
    with streams.admitting():
        if last_event_id:
            call = clients.resume_turn(user, last_event_id)
        else:
            call = clients.stream_turn(user, request)
        first, rest = await first_event(call)
    return event_stream(
        first, rest, call, received_at=received_at, resumed=bool(last_event_id), streams=streams
    )


@router.get(
    "/rooms/{room_id}/messages/stream",
    summary="A turn in a room (SSE)",
    # The route builds its own EventStream; a plain Response class keeps FastAPI from
    # documenting a JSON body of its own next to the event stream.
    response_class=Response,
    responses=_STREAM_RESPONSES,
)
async def stream_in_room(
    room_id: RoomIdPath,
    user_input: UserInput,
    user: CurrentUser,
    clients: ClientsDep,
    streams: OpenStreamsDep,
    received_at: ReceivedAt,
    image_url: ImageUrl = "",
    experts: Experts = "",
    last_event_id: LastEventId = None,
):
    request = chat_pb2.StreamTurnRequest(
        room_id=room_id,
        user_input=user_input,
        image_url=image_url,
        expert_ids=_expert_ids(experts),
        upload_id=upload_id_of(image_url),
    )
    return await _stream(clients, streams, user, request, last_event_id, received_at)


@router.get(
    "/rooms/messages/stream",
    summary="A turn, creating a room when none is given (SSE)",
    response_class=Response,
    responses=_STREAM_RESPONSES,
)
async def stream_new_or_existing(
    user_input: UserInput,
    user: CurrentUser,
    clients: ClientsDep,
    streams: OpenStreamsDep,
    received_at: ReceivedAt,
    room_id: Annotated[str, Query(pattern=ROOM_ID_OR_EMPTY_PATTERN)] = "",
    image_url: ImageUrl = "",
    experts: Experts = "",
    last_event_id: LastEventId = None,
):
    request = chat_pb2.StreamTurnRequest(
        room_id=room_id,
        user_input=user_input,
        image_url=image_url,
        expert_ids=_expert_ids(experts),
        upload_id=upload_id_of(image_url),
    )
    return await _stream(clients, streams, user, request, last_event_id, received_at)


class SendBody(BaseModel):
    content: Annotated[
        str,
        Field(min_length=1, json_schema_extra=text_schema(MAX_INPUT_CHARS)),
        checked_text(MAX_INPUT_CHARS),
    ]
    # The original's clients send `"image_url": null` when there is no picture.
    image_url: (
        Annotated[
            str, Field(json_schema_extra=text_schema(MAX_URL_CHARS)), checked_text(MAX_URL_CHARS)
        ]
        | None
    ) = None


RoomIdQuery = Annotated[str, Query(alias="roomId", pattern=ROOM_ID_PATTERN)]


@router.post(
    "/send",
    summary="Polling mode: enqueue a turn in a room",
    response_model=Envelope[SentData],
    responses=error_responses(
        400,
        401,
        403,
        404,
        413,
        422,
        429,
        *DOWNSTREAM,
        notes={400: "an unreadable body, or a turn the service refuses"},
    ),
)
async def send(room_id: RoomIdQuery, body: SendBody, user: CurrentUser, clients: ClientsDep):
    image_url = body.image_url or ""
    sent = await clients.send_message(
        user,
        chat_pb2.SendMessageRequest(
            room_id=room_id,
            content=body.content,
            image_url=image_url,
            upload_id=upload_id_of(image_url),
        ),
    )
    return envelope(
        {"room_id": int(sent.room_id), "message_id": int(sent.message_id)},
        "메시지가 전송되었습니다.",
    )


@router.get(
    "/receive",
    summary="Polling mode: the room's next expert answer",
    description="200 with `state: READY` and the answer; 202 with `state: PENDING` while the "
    "turn still runs; 200 with `state: DONE` once every answer was delivered.",
    response_model=ReceiveEnvelope,
    responses={
        202: {"model": PendingEnvelope, "description": "the turn still runs: poll again"},
        **error_responses(401, 404, 422, *DOWNSTREAM),
    },
)
async def receive(room_id: RoomIdQuery, user: KnownUser, clients: ClientsDep):
    if user is None:
        raise ApiError(404, "room not found")
    reply = await clients.receive_answer(user, room_id)
    state = chat_pb2.ReceiveAnswerResponse.State.Name(reply.state)
    if state == "PENDING":
        return JSONResponse(envelope({"state": state}, "답변을 준비 중입니다."), status_code=202)
    if state == "DONE":
        return envelope({"state": state}, "모든 답변이 전달되었습니다.")
    return envelope(
        {
            "state": state,
            "message": reply.message,
            "order": reply.order,
            "agent_id": reply.agent_id,
            "agent_name": reply.agent_name,
            "agent_role": reply.agent_role,
            "products": product_refs(reply.products),
        }
    )


@router.post(
    "/upload",
    summary="Upload a picture (JPEG, PNG, WebP, HEIC; 10 MB); data is its private URL",
    response_model=Envelope[str],
    responses=error_responses(
        400,
        401,
        403,
        413,
        415,
        422,
        429,
        *DOWNSTREAM,
        notes={
            400: "an unreadable multipart body",
            413: "the picture (or the whole request) is over the size limit",
            429: "too many uploads this minute (Retry-After)",
        },
    ),
)
async def upload(
    request: Request, user: CurrentUser, clients: ClientsDep, file: Annotated[UploadFile, File()]
):
    limit = clients.settings.max_upload_bytes
    # BodyLimitMiddleware already stopped a bigger file part as it arrived; this read holds at
    # most the limit and one byte whatever the parser did.
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, upload_too_large(limit))
    try:
        # The name is not used (the bytes decide what the picture is); only kept short.
        stored = await clients.upload_image(user, content, (file.filename or "")[:255])
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
            raise ApiError(415, error.details() or "unsupported image type") from error
        if error.code() == grpc.StatusCode.OUT_OF_RANGE:
            raise ApiError(413, error.details() or "image too large") from error
        if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and not _retry_after_given(error):
            # gRPC's own refusal of a message over chat-service's size cap (its upload limit is
            # lower than ours); a rate limit always says when to retry.
            raise ApiError(413, upload_too_large(limit)) from error
        raise
    url = str(request.url_for("uploaded_image", upload_id=stored.upload_id))
    return envelope(url, "이미지가 업로드되었습니다.")


@router.get(
    "/uploads/{upload_id}",
    name="uploaded_image",
    summary="An uploaded picture (its owner only)",
    response_class=Response,
    responses={
        **image_response("the picture", "image/jpeg", "image/png", "image/webp"),
        **error_responses(
            401, 404, 422, *DOWNSTREAM, notes={404: "no such upload of the caller's"}
        ),
    },
)
async def uploaded_image(
    upload_id: Annotated[str, Path(pattern=UPLOAD_ID_PATTERN)], user: KnownUser, clients: ClientsDep
) -> Response:
    if user is None:
        raise ApiError(404, "upload not found")
    picture = await clients.get_upload(user, upload_id)
    return Response(
        picture.content,
        media_type=picture.content_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/product/{product_id}",
    summary="Product info (cached)",
    response_model=Envelope[ProductData],
    # A numeric id (422 otherwise) is never the blank one product-service refuses with 400.
    responses=error_responses(404, 422, *DOWNSTREAM),
)
async def product(
    product_id: Annotated[str, Path(pattern=PRODUCT_ID_PATTERN)], clients: ClientsDep
):
    found = await clients.get_product(product_id)
    return envelope(
        {
            "product_id": found.product_id,
            "product_name": found.product_name,
            "brand_name": found.brand_name,
            "comprehensive_description": found.comprehensive_description,
            "style_tags": list(found.style_tags),
            "tpo_tags": list(found.tpo_tags),
            "image_url": found.image_url,
            "main_category": found.main_category,
            "sub_category": found.sub_category,
            "color_name": found.color_name,
            "material": found.material,
            "fit": found.fit,
            "seasons": list(found.seasons),
            "gender": found.gender,
            "original_price": found.original_price,
            "price": found.price,
        }
    )

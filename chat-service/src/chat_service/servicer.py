"""ChatService over gRPC: converts messages and maps domain errors to status codes."""

from collections.abc import AsyncIterator

import asyncpg
import grpc
from redis.asyncio import Redis

from chat_service import inputs, messages, polling, rooms, uploads
from chat_service.settings import ChatSettings
from chat_service.turn_events import TurnEventLog, TurnEventsGone, parse_event_id
from chat_service.turn_listeners import TurnListeners
from chat_service.turns import InvalidTurn, StartedTurn, TooBusy, TurnRequest, TurnRunner
from chat_service.uploads import ImageTooLarge, UnsupportedImage, UploadNotFound
from tftkit.grpc_mux import Method, serve_listeners
from tftkit.identity import TokenVerifier, bearer_metadata, caller, caller_id, guest_handover
from tftkit.object_store import ObjectStore
from tftkit.rate_limit import RateLimited, abort_rate_limited, take_slot
from tftkit.text import BadText
from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc

_ROOM_NOT_FOUND = "room not found"
_SERVICE = chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        redis: Redis,
        runner: TurnRunner,
        events: TurnEventLog,
        listeners: TurnListeners,
        store: ObjectStore,
        settings: ChatSettings,
        verifier: TokenVerifier,
        experts: expert_pb2_grpc.ExpertServiceStub,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._runner = runner
        self._events = events
        self._listeners = listeners
        self._store = store
        self._settings = settings
        # Checks the guest token a merge presents and each FollowTurns listener's token (a
        # call's own token is checked on arrival).
        self._verifier = verifier
        self._experts = experts

    async def CreateRoom(self, request, context) -> chat_pb2.Room:
        owner = await caller_id(context)
        try:
            title = inputs.checked_title(request.title, max_chars=self._settings.max_input_chars)
        except BadText as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        room = await rooms.create_room(db=self._pool, owner_id=owner, title=rooms.title_from(title))
        return _room(room)

    async def ListRooms(self, request, context) -> chat_pb2.ListRoomsResponse:
        owner = await caller_id(context)
        found = await rooms.list_rooms(db=self._pool, owner_id=owner)
        return chat_pb2.ListRoomsResponse(rooms=[_room(room) for room in found])

    async def ListMessages(self, request, context) -> chat_pb2.ListMessagesResponse:
        owner = await caller_id(context)
        room = await self._owned_room(context, owner, request.room_id)
        try:
            page = await messages.list_page(
                pool=self._pool, room_id=room.id, limit=request.limit, before=request.before
            )
        except messages.BadCursor as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return chat_pb2.ListMessagesResponse(
            messages=[_message(m) for m in page.messages],
            has_more=page.has_more,
            next_cursor=page.next_cursor,
        )

    async def StreamTurn(self, request, context) -> AsyncIterator[chat_pb2.TurnEvent]:
        owner = await caller(context)
        turn_request = TurnRequest(
            owner_id=owner.user_id,
            owner_token=owner.token,
            room_id=request.room_id,
            user_input=request.user_input,
            image_url=request.image_url,
            expert_ids=list(request.expert_ids),
            experts_image_url=await self._experts_image(context, owner.user_id, request),
        )
        started = await self._start(context, turn_request)
        async for event in self._listeners.follow(started.turn_id):
            yield event

    async def ResumeTurn(self, request, context) -> AsyncIterator[chat_pb2.TurnEvent]:
        owner = await caller_id(context)
        try:
            position = parse_event_id(request.last_event_id)
        except ValueError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "last_event_id is malformed")
        turn_owner = await self._pool.fetchval(
            "SELECT r.owner_id FROM turns t JOIN rooms r ON r.id = t.room_id WHERE t.id = $1",
            position.turn_id,
        )
        if turn_owner != owner:
            await context.abort(grpc.StatusCode.NOT_FOUND, "turn not found")
        try:
            async for event in self._listeners.follow(position.turn_id, after=position.after):
                yield event
        except TurnEventsGone:
            await context.abort(grpc.StatusCode.NOT_FOUND, "turn events have expired")

    async def FollowTurns(
        self, request_iterator, context
    ) -> AsyncIterator[chat_pb2.FollowTurnsResponse]:
        # Each listener runs StreamTurn or ResumeTurn as its own call would, its caller
        # verified from the listener's metadata.
        async for response in serve_listeners(
            request_iterator,
            methods={
                "stream_turn": Method(f"/{_SERVICE}/StreamTurn", self.StreamTurn),
                "resume_turn": Method(f"/{_SERVICE}/ResumeTurn", self.ResumeTurn),
            },
            response_type=chat_pb2.FollowTurnsResponse,
            verifier=self._verifier,
        ):
            yield response

    async def UploadImage(self, request, context) -> chat_pb2.UploadImageResponse:
        owner = await caller_id(context)
        try:
            # Counted before decoding: refused pictures cost the decoder as much as good ones.
            await take_slot(
                redis=self._redis,
                key=f"uploads:{owner}",
                limit=self._settings.uploads_per_minute,
                window_seconds=60,
            )
            upload = await uploads.store_upload(
                store=self._store,
                db=self._pool,
                owner_id=owner,
                data=request.content,
                max_bytes=self._settings.max_upload_bytes,
            )
        except RateLimited as error:
            await abort_rate_limited(
                context,
                error,
                "사진을 너무 자주 올렸어요. 잠시 후 다시 시도해 주세요. (too many uploads)",
            )
        except ImageTooLarge as error:
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, str(error))
        except UnsupportedImage as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return chat_pb2.UploadImageResponse(
            upload_id=upload.upload_id, content_type=upload.content_type
        )

    async def GetUpload(self, request, context) -> chat_pb2.UploadedImage:
        owner = await caller_id(context)
        try:
            upload = await uploads.owned_upload(
                db=self._pool, owner_id=owner, upload_id=request.upload_id
            )
        except UploadNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, "upload not found")
        content = await self._store.get(upload.object_key)
        if content is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "upload not found")
        return chat_pb2.UploadedImage(content=content, content_type=upload.content_type)

    async def _experts_image(self, context, owner_id: str, request) -> str:
        """Where the experts read the turn's picture: the caller's own upload from the store
        (another person's upload is not found), or the given URL."""
        if not request.upload_id:
            return request.image_url
        try:
            upload = await uploads.owned_upload(
                db=self._pool, owner_id=owner_id, upload_id=request.upload_id
            )
        except UploadNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, "upload not found")
        return self._store.url_for(upload.object_key)

    async def SendMessage(self, request, context) -> chat_pb2.SendMessageResponse:
        owner = await caller(context)
        if not request.room_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "room_id is required")
        turn_request = TurnRequest(
            owner_id=owner.user_id,
            owner_token=owner.token,
            room_id=request.room_id,
            user_input=request.content,
            image_url=request.image_url,
            expert_ids=[],
            experts_image_url=await self._experts_image(context, owner.user_id, request),
            polled=True,
        )
        started = await self._start(context, turn_request, text_field="content")
        return chat_pb2.SendMessageResponse(
            room_id=str(started.room_id), message_id=str(started.user_message_id)
        )

    async def ReceiveAnswer(self, request, context) -> chat_pb2.ReceiveAnswerResponse:
        owner = await caller_id(context)
        room = await self._owned_room(context, owner, request.room_id)
        received = await polling.receive_next(pool=self._pool, events=self._events, room_id=room.id)
        response = chat_pb2.ReceiveAnswerResponse(
            state=chat_pb2.ReceiveAnswerResponse.State.Value(received.state.value)
        )
        if received.answer is not None:
            answer = received.answer
            response.order = received.order
            response.agent_id = answer.agent_id
            response.agent_name = answer.agent_name
            response.agent_role = answer.agent_role
            response.message = answer.message
            response.products.extend(p.to_proto() for p in answer.products)
        return response

    async def MergeGuestRooms(self, request, context) -> chat_pb2.MergeGuestRoomsResponse:
        account, guest = await guest_handover(context, self._verifier, request.guest_token)
        moved = await rooms.give_rooms(
            db=self._pool, from_owner=guest.user_id, to_owner=account.user_id
        )
        await uploads.give_uploads(
            db=self._pool, from_owner=guest.user_id, to_owner=account.user_id
        )
        # The experts' memory of those rooms follows them (keyed by owner there), and so does
        # the guest's style profile.
        await self._experts.AdoptGuestMemory(
            expert_pb2.AdoptGuestMemoryRequest(
                guest_token=request.guest_token, room_ids=[str(room) for room in moved]
            ),
            metadata=bearer_metadata(account.token),
            timeout=self._settings.rpc_timeout_seconds,
        )
        return chat_pb2.MergeGuestRoomsResponse(merged_rooms=len(moved))

    async def _start(
        self, context, turn_request: TurnRequest, *, text_field: str = "user_input"
    ) -> StartedTurn:
        try:
            turn_request = inputs.checked_turn(
                turn_request, field=text_field, max_input_chars=self._settings.max_input_chars
            )
            await take_slot(
                redis=self._redis,
                key=f"turns:{turn_request.owner_id}",
                limit=self._settings.turns_per_minute,
                window_seconds=60,
            )
            return await self._runner.start(turn_request)
        except RateLimited as error:
            await abort_rate_limited(context, error, "too many messages this minute; retry soon")
        except rooms.RoomNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, _ROOM_NOT_FOUND)
        except (InvalidTurn, BadText) as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except TooBusy:
            await context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED, "too many turns running; retry soon"
            )

    async def _owned_room(self, context, owner: str, room_id: str) -> rooms.Room:
        try:
            return await rooms.owned_room(
                db=self._pool, owner_id=owner, room_id=rooms.parse_room_id(room_id)
            )
        except rooms.RoomNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, _ROOM_NOT_FOUND)


def _room(room: rooms.Room) -> chat_pb2.Room:
    return chat_pb2.Room(id=str(room.id), title=room.title, created_at=room.created_at.isoformat())


def _message(message: messages.StoredMessage) -> chat_pb2.Message:
    return chat_pb2.Message(
        id=str(message.id),
        content=message.content,
        image_url=message.image_url or "",
        message_type=message.message_type,
        created_at=message.created_at.isoformat(),
        agent_type=message.agent_type or "",
        agent_name=message.agent_name or "",
        products=[p.to_proto() for p in message.products],
    )

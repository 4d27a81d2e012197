"""One small function per downstream RPC, each with its deadline and the caller's identity."""

from dataclasses import dataclass

import grpc

from gateway.settings import GatewaySettings
from tftkit.grpc_client import ChannelPool, RoundRobin, open_channel
from tftkit.grpc_mux import ListenerCall, Multiplexer
from tftkit.identity import Identity, TokenVerifier, auth_service_verifier, bearer_metadata
from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc
from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc
from thefirsttake.fitting.v1 import fitting_pb2, fitting_pb2_grpc
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc


@dataclass
class Clients:
    """The channels and stubs of the five services (built once per process).

    chat-service, which carries every open SSE stream, is reached over a pool of connections;
    each call takes the next one. The streams themselves are listeners of one FollowTurns call
    per connection (`turns`), not calls of their own.
    """

    settings: GatewaySettings
    # One channel a service, for health checks (chat-service's: the pool's first).
    channels: dict[str, grpc.aio.Channel]
    chat_pool: ChannelPool
    chat_stubs: RoundRobin[chat_pb2_grpc.ChatServiceStub]
    turns: Multiplexer
    auth: auth_pb2_grpc.AuthServiceStub
    product: product_pb2_grpc.ProductServiceStub
    fitting: fitting_pb2_grpc.FittingServiceStub
    expert: expert_pb2_grpc.ExpertServiceStub
    # Verifies the identity cookies with auth-service's published keys (cached).
    verifier: TokenVerifier

    @classmethod
    def connect(cls, settings: GatewaySettings) -> "Clients":
        chat_pool = ChannelPool(settings.chat_service_addr, settings.chat_channels)
        follow_calls = [
            chat_pb2_grpc.ChatServiceStub(channel).FollowTurns for channel in chat_pool.channels
        ]
        channels = {
            "auth-service": open_channel(settings.auth_service_addr),
            "chat-service": chat_pool.channels[0],
            "expert-service": open_channel(settings.expert_service_addr),
            "product-service": open_channel(settings.product_service_addr),
            "fitting-service": open_channel(settings.fitting_service_addr),
        }
        return cls(
            settings=settings,
            channels=channels,
            auth=auth_pb2_grpc.AuthServiceStub(channels["auth-service"]),
            chat_pool=chat_pool,
            chat_stubs=chat_pool.stubs(chat_pb2_grpc.ChatServiceStub),
            turns=Multiplexer(
                follow_calls,
                request_type=chat_pb2.FollowTurnsRequest,
                timeout_seconds=settings.stream_timeout_seconds,
            ),
            product=product_pb2_grpc.ProductServiceStub(channels["product-service"]),
            fitting=fitting_pb2_grpc.FittingServiceStub(channels["fitting-service"]),
            expert=expert_pb2_grpc.ExpertServiceStub(channels["expert-service"]),
            verifier=auth_service_verifier(channels["auth-service"]),
        )

    async def close(self) -> None:
        await self.turns.aclose()
        for name, channel in self.channels.items():
            if name != "chat-service":  # the pool's own
                await channel.close()
        await self.chat_pool.close()

    @property
    def chat(self) -> chat_pb2_grpc.ChatServiceStub:
        """chat-service's stub on the pool's next connection."""
        return self.chat_stubs.next()

    @property
    def _timeout(self) -> float:
        return self.settings.rpc_timeout_seconds

    # auth-service

    async def issue_guest(self) -> auth_pb2.IssuedSession:
        return await self.auth.IssueGuest(auth_pb2.IssueGuestRequest(), timeout=self._timeout)

    async def start_kakao_login(self) -> auth_pb2.StartKakaoLoginResponse:
        return await self.auth.StartKakaoLogin(
            auth_pb2.StartKakaoLoginRequest(), timeout=self._timeout
        )

    async def complete_kakao_login(
        self, *, code: str, state: str, expected_state: str, guest_token: str, error: str = ""
    ) -> auth_pb2.IssuedSession:
        request = auth_pb2.CompleteKakaoLoginRequest(
            code=code,
            state=state,
            expected_state=expected_state,
            guest_token=guest_token,
            error=error,
        )
        # Kakao's two calls happen inside: twice the usual deadline.
        return await self.auth.CompleteKakaoLogin(request, timeout=2 * self._timeout)

    async def refresh(self, refresh_token: str) -> auth_pb2.IssuedSession:
        return await self.auth.Refresh(
            auth_pb2.RefreshRequest(refresh_token=refresh_token), timeout=self._timeout
        )

    async def logout(self, refresh_token: str) -> None:
        await self.auth.Logout(
            auth_pb2.LogoutRequest(refresh_token=refresh_token), timeout=self._timeout
        )

    async def me(self, token: str) -> auth_pb2.User:
        return await self.auth.GetMe(auth_pb2.GetMeRequest(token=token), timeout=self._timeout)

    # chat-service

    async def create_room(self, caller: Identity, title: str) -> chat_pb2.Room:
        return await self.chat.CreateRoom(
            chat_pb2.CreateRoomRequest(title=title),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def list_rooms(self, caller: Identity) -> chat_pb2.ListRoomsResponse:
        return await self.chat.ListRooms(
            chat_pb2.ListRoomsRequest(),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def list_messages(
        self, caller: Identity, room_id: str, limit: int, before: str
    ) -> chat_pb2.ListMessagesResponse:
        return await self.chat.ListMessages(
            chat_pb2.ListMessagesRequest(room_id=room_id, limit=limit, before=before),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    def stream_turn(self, caller: Identity, request: chat_pb2.StreamTurnRequest) -> ListenerCall:
        return self.turns.call("stream_turn", request, dict(bearer_metadata(caller.token)))

    def resume_turn(self, caller: Identity, last_event_id: str) -> ListenerCall:
        request = chat_pb2.ResumeTurnRequest(last_event_id=last_event_id)
        return self.turns.call("resume_turn", request, dict(bearer_metadata(caller.token)))

    async def send_message(
        self, caller: Identity, request: chat_pb2.SendMessageRequest
    ) -> chat_pb2.SendMessageResponse:
        return await self.chat.SendMessage(
            request,
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def receive_answer(
        self, caller: Identity, room_id: str
    ) -> chat_pb2.ReceiveAnswerResponse:
        return await self.chat.ReceiveAnswer(
            chat_pb2.ReceiveAnswerRequest(room_id=room_id),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def upload_image(
        self, caller: Identity, content: bytes, filename: str
    ) -> chat_pb2.UploadImageResponse:
        return await self.chat.UploadImage(
            chat_pb2.UploadImageRequest(content=content, filename=filename),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout * 4,
        )

    async def get_upload(self, caller: Identity, upload_id: str) -> chat_pb2.UploadedImage:
        return await self.chat.GetUpload(
            chat_pb2.GetUploadRequest(upload_id=upload_id),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    # expert-service (the person's style profile)

    async def get_profile(self, caller: Identity) -> expert_pb2.StyleProfile:
        return await self.expert.GetProfile(
            expert_pb2.GetProfileRequest(),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def put_profile(
        self, caller: Identity, profile: expert_pb2.StyleProfile
    ) -> expert_pb2.StyleProfile:
        return await self.expert.PutProfile(
            profile, metadata=bearer_metadata(caller.token), timeout=self._timeout
        )

    async def delete_profile(self, caller: Identity) -> None:
        await self.expert.DeleteProfile(
            expert_pb2.DeleteProfileRequest(),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    # product-service

    async def get_product(self, product_id: str) -> product_pb2.Product:
        return await self.product.GetProduct(
            product_pb2.GetProductRequest(product_id=product_id), timeout=self._timeout
        )

    async def merge_guest_rooms(self, caller: Identity, guest_token: str) -> int:
        answer = await self.chat.MergeGuestRooms(
            chat_pb2.MergeGuestRoomsRequest(guest_token=guest_token),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )
        return answer.merged_rooms

    # fitting-service

    async def merge_guest_tasks(self, caller: Identity, guest_token: str) -> int:
        answer = await self.fitting.MergeGuestTasks(
            fitting_pb2.MergeGuestTasksRequest(guest_token=guest_token),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )
        return answer.merged_tasks

    async def try_on(
        self, caller: Identity, request: fitting_pb2.TryOnRequest
    ) -> fitting_pb2.TryOnTask:
        # The call may wait for the task: its deadline is that wait plus the usual margin.
        return await self.fitting.TryOn(
            request,
            metadata=bearer_metadata(caller.token),
            timeout=request.wait_seconds + self._timeout,
        )

    async def try_on_task(self, caller: Identity, task_id: str) -> fitting_pb2.TryOnTask:
        return await self.fitting.GetTask(
            fitting_pb2.GetTaskRequest(task_id=task_id),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def try_on_result(self, caller: Identity, task_id: str) -> fitting_pb2.TaskResult:
        return await self.fitting.GetTaskResult(
            fitting_pb2.GetTaskRequest(task_id=task_id),
            metadata=bearer_metadata(caller.token),
            timeout=self._timeout,
        )

    async def fetch_image(self, url: str) -> fitting_pb2.FetchImageResponse:
        return await self.fitting.FetchImage(
            fitting_pb2.FetchImageRequest(url=url), timeout=self.settings.proxy_timeout_seconds
        )

    async def proxy_self_test(self) -> fitting_pb2.ProxySelfTestResponse:
        return await self.fitting.ProxySelfTest(
            fitting_pb2.ProxySelfTestRequest(), timeout=self._timeout
        )

"""AuthService over gRPC: converts messages and maps errors to status codes."""

import asyncpg
import grpc

from auth_service import login, refresh_tokens, users
from auth_service.kakao import KakaoClient
from auth_service.metrics import KAKAO_LOGIN_FAILURE, KAKAO_LOGIN_SUCCESS, LOGOUT, REFRESH
from auth_service.service_clients import ServiceClients
from auth_service.settings import AuthSettings
from auth_service.tokens import TokenIssuer
from tftkit.identity import Identity, InvalidIdentity
from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc

_KAKAO_OFF = "카카오 로그인이 설정되지 않았어요."
_SESSION_ENDED = "로그인이 만료되었어요. 다시 로그인해 주세요."


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        settings: AuthSettings,
        issuer: TokenIssuer,
        kakao: KakaoClient | None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._issuer = issuer
        self._kakao = kakao
        self._clients = ServiceClients(settings.service_clients)

    async def IssueGuest(self, request, context) -> auth_pb2.IssuedSession:
        user = await users.create_guest(pool=self._pool)
        return auth_pb2.IssuedSession(
            identity=auth_pb2.Identity(user_id=user.user_id, is_guest=True),
            access_token=self._issuer.guest(user.user_id),
            access_expires_in_seconds=self._issuer.guest_ttl,
        )

    async def Verify(self, request, context) -> auth_pb2.Identity:
        identity = await self._identity(request.token, context)
        return auth_pb2.Identity(user_id=identity.user_id, is_guest=identity.is_guest)

    async def GetMe(self, request, context) -> auth_pb2.User:
        identity = await self._identity(request.token, context)
        user = await users.find_user(pool=self._pool, user_id=identity.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown user")
        return auth_pb2.User(
            user_id=user.user_id,
            nickname=user.nickname,
            profile_image=user.profile_image,
            is_guest=user.is_guest,
        )

    async def GetPublicKeys(self, request, context) -> auth_pb2.PublicKeys:
        return auth_pb2.PublicKeys(
            keys=[auth_pb2.PublicKey(kid=kid, pem=pem) for kid, pem in self._issuer.published()]
        )

    async def StartKakaoLogin(self, request, context) -> auth_pb2.StartKakaoLoginResponse:
        if self._kakao is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, _KAKAO_OFF)
        started = await login.start(
            pool=self._pool,
            kakao=self._kakao,
            ttl_seconds=self._settings.login_state_ttl_seconds,
            pkce=self._settings.kakao_use_pkce,
        )
        return auth_pb2.StartKakaoLoginResponse(
            authorize_url=started.authorize_url, state=started.state
        )

    async def CompleteKakaoLogin(self, request, context) -> auth_pb2.IssuedSession:
        if self._kakao is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, _KAKAO_OFF)
        try:
            user = await login.complete(
                pool=self._pool,
                kakao=self._kakao,
                code=request.code,
                state=request.state,
                expected_state=request.expected_state,
                error=request.error,
            )
        except login.LoginRefused as refused:
            KAKAO_LOGIN_FAILURE.labels(refused.reason).inc()
            code = (
                grpc.StatusCode.UNAVAILABLE
                if refused.reason in ("unreachable", "timeout", "kakao_error")
                else grpc.StatusCode.PERMISSION_DENIED
            )
            await context.abort(code, refused.message)
        merged = await self._adopt_guest(request.guest_token, user.user_id)
        KAKAO_LOGIN_SUCCESS.inc()
        session = await self._session(user.user_id)
        session.merged_guest_user_id = merged
        return session

    async def _adopt_guest(self, guest_token: str, user_id: str) -> str:
        """The guest this browser was, now taken over by the account ('' when none)."""
        if not guest_token:
            return ""
        try:
            guest = await self._issuer.verifier.verify(guest_token)
        except InvalidIdentity:
            return ""
        if not guest.is_guest:
            return ""
        adopted = await users.adopt_guest(pool=self._pool, guest_id=guest.user_id, user_id=user_id)
        return guest.user_id if adopted else ""

    async def Refresh(self, request, context) -> auth_pb2.IssuedSession:
        try:
            rotated = await refresh_tokens.rotate(
                pool=self._pool,
                token=request.refresh_token,
                ttl_seconds=self._settings.refresh_token_ttl_seconds,
            )
        except refresh_tokens.RefreshRefused:
            REFRESH.labels("refused").inc()
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, _SESSION_ENDED)
        REFRESH.labels("rotated").inc()
        return self._issued(rotated.user_id, rotated.token)

    async def Logout(self, request, context) -> auth_pb2.LogoutResponse:
        if request.refresh_token:
            await refresh_tokens.revoke(pool=self._pool, token=request.refresh_token)
        LOGOUT.inc()
        return auth_pb2.LogoutResponse()

    async def IssueServiceToken(self, request, context) -> auth_pb2.IssuedSession:
        if not self._clients.check(request.client_id, request.client_secret):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "unknown client or secret")
        user = await users.find_user(pool=self._pool, user_id=request.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "user not found")
        token = self._issuer.service(user.user_id, client=request.client_id)
        return auth_pb2.IssuedSession(
            identity=auth_pb2.Identity(user_id=user.user_id, is_guest=user.is_guest),
            access_token=token,
            access_expires_in_seconds=self._settings.service_token_ttl_seconds,
        )

    async def _session(self, user_id: str) -> auth_pb2.IssuedSession:
        refresh = await refresh_tokens.issue(
            db=self._pool, user_id=user_id, ttl_seconds=self._settings.refresh_token_ttl_seconds
        )
        return self._issued(user_id, refresh)

    def _issued(self, user_id: str, refresh: str) -> auth_pb2.IssuedSession:
        return auth_pb2.IssuedSession(
            identity=auth_pb2.Identity(user_id=user_id, is_guest=False),
            access_token=self._issuer.access(user_id),
            access_expires_in_seconds=self._settings.access_token_ttl_seconds,
            refresh_token=refresh,
            refresh_expires_in_seconds=self._settings.refresh_token_ttl_seconds,
        )

    async def _identity(self, token: str, context) -> Identity:
        try:
            return await self._issuer.verifier.verify(token)
        except InvalidIdentity:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "token is invalid or expired")

"""AuthService over gRPC: converts messages and maps errors to status codes."""

import asyncpg
import grpc

from auth_service import users
from auth_service.settings import AuthSettings
from auth_service.tokens import InvalidToken, sign_token, verify_token
from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc

_NOT_YET = "not implemented yet"


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, *, pool: asyncpg.Pool, settings: AuthSettings) -> None:
        self._pool = pool
        self._settings = settings

    async def IssueGuest(self, request, context) -> auth_pb2.IssuedSession:
        user = await users.create_guest(pool=self._pool)
        ttl = self._settings.guest_token_ttl_days * 24 * 3600
        token = sign_token(
            secret=self._settings.jwt_secret, user_id=user.user_id, is_guest=True, ttl_seconds=ttl
        )
        return auth_pb2.IssuedSession(
            identity=auth_pb2.Identity(user_id=user.user_id, is_guest=True),
            access_token=token,
            access_expires_in_seconds=ttl,
        )

    async def Verify(self, request, context) -> auth_pb2.Identity:
        claims = await self._claims(request.token, context)
        return auth_pb2.Identity(user_id=claims.user_id, is_guest=claims.is_guest)

    async def GetMe(self, request, context) -> auth_pb2.User:
        claims = await self._claims(request.token, context)
        user = await users.find_user(pool=self._pool, user_id=claims.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown user")
        return auth_pb2.User(
            user_id=user.user_id,
            nickname=user.nickname,
            profile_image=user.profile_image,
            is_guest=user.is_guest,
        )

    async def _claims(self, token: str, context):
        if not token:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "token is missing")
        try:
            return verify_token(secret=self._settings.jwt_secret, token=token)
        except InvalidToken:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "token is invalid or expired")

    async def StartKakaoLogin(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

    async def CompleteKakaoLogin(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

    async def Refresh(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

    async def Logout(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

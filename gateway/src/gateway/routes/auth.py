"""Auth: Kakao login (with a one-time state bound to the browser), the caller's profile, token
refresh and logout. Cookies are HttpOnly and SameSite=Lax; the refresh token is sent only to
these routes."""

from typing import Annotated, Any
from urllib.parse import urlencode

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from gateway.clients import Clients
from gateway.cookies import (
    ACCESS_COOKIE,
    AUTH_PATH,
    CALLBACK_PATH,
    GUEST_COOKIE,
    REFRESH_COOKIE,
    STATE_COOKIE,
    clear_cookie,
    queue_cookie,
)
from gateway.deps import ClientsDep, KnownUser
from gateway.errors import ApiError, envelope
from gateway.schemas import (
    DOWNSTREAM,
    TEXT_PATTERN,
    EmptyEnvelope,
    Envelope,
    MeData,
    RefreshData,
    error_responses,
)
from tftkit.identity import Identity
from thefirsttake.auth.v1 import auth_pb2

router = APIRouter(prefix="/api/auth", tags=["auth"])

_FAILED = "카카오 로그인에 실패했어요. 다시 시도해 주세요."
_NOT_LOGGED_IN = "로그인하지 않았어요."
_STATE_SECONDS = 600
_LOCATION = {"Location": {"description": "where the browser goes", "schema": {"type": "string"}}}


def _back_to_app(clients: Clients, error: str = "") -> RedirectResponse:
    target = clients.settings.app_path
    if error:
        target += "?" + urlencode({"login_error": error})
    return RedirectResponse(target, status_code=302)


def _set_session(request: Request, clients: Clients, session: auth_pb2.IssuedSession) -> None:
    secure = clients.settings.cookie_secure
    # The access cookie outlives its token: an expired token then reads as "refresh", not as
    # "no login" (which would quietly make the person a new guest).
    queue_cookie(
        request,
        ACCESS_COOKIE,
        session.access_token,
        max_age=session.refresh_expires_in_seconds,
        secure=secure,
    )
    queue_cookie(
        request,
        REFRESH_COOKIE,
        session.refresh_token,
        max_age=session.refresh_expires_in_seconds,
        secure=secure,
        path=AUTH_PATH,
    )


def _end_session(request: Request, clients: Clients) -> None:
    secure = clients.settings.cookie_secure
    clear_cookie(request, ACCESS_COOKIE, secure=secure)
    clear_cookie(request, REFRESH_COOKIE, secure=secure, path=AUTH_PATH)


@router.get(
    "/kakao/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Starts a Kakao login (redirects to Kakao)",
    responses={
        302: {
            "description": "to Kakao's consent screen, or back to the app (with login_error) "
            "when Kakao login is not configured",
            "headers": _LOCATION,
        },
        **error_responses(*DOWNSTREAM),
    },
)
async def kakao_login(request: Request, clients: ClientsDep) -> RedirectResponse:
    try:
        started = await clients.start_kakao_login()
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
            return _back_to_app(clients, error.details() or _FAILED)
        raise
    queue_cookie(
        request,
        STATE_COOKIE,
        started.state,
        max_age=_STATE_SECONDS,
        secure=clients.settings.cookie_secure,
        path=CALLBACK_PATH,
    )
    return RedirectResponse(started.authorize_url, status_code=302)


@router.get(
    "/kakao/callback",
    status_code=302,
    response_class=RedirectResponse,
    summary="Kakao's redirect back: logs in, keeps the guest's history, back to the app",
    responses={
        302: {
            "description": "to the app, with login_error when the login was refused (a wrong "
            "or replayed state, the person cancelling, Kakao refusing or unreachable)",
            "headers": _LOCATION,
        },
        **error_responses(
            401,
            403,
            409,
            422,
            *DOWNSTREAM,
            notes={
                401: "a service refused the new account's token while taking over the guest's "
                "rooms and try-ons",
                403: "a service refused to hand the guest's rooms or try-ons to the account",
                409: "Kakao login is not configured",
            },
        ),
    },
)
async def kakao_callback(
    request: Request,
    clients: ClientsDep,
    code: Annotated[str, Query(max_length=2048, pattern=TEXT_PATTERN)] = "",
    state: Annotated[str, Query(max_length=512, pattern=TEXT_PATTERN)] = "",
    error: Annotated[str, Query(max_length=256, pattern=TEXT_PATTERN)] = "",
) -> RedirectResponse:
    expected = request.cookies.get(STATE_COOKIE, "")
    clear_cookie(request, STATE_COOKIE, secure=clients.settings.cookie_secure, path=CALLBACK_PATH)
    guest_token = request.cookies.get(GUEST_COOKIE, "")
    try:
        # A person who cancelled at Kakao comes back with `error`: auth-service ends that
        # login too (its state consumed, the failure counted where logins are counted).
        session = await clients.complete_kakao_login(
            code=code, state=state, expected_state=expected, guest_token=guest_token, error=error
        )
    except grpc.aio.AioRpcError as failure:
        if failure.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAVAILABLE):
            return _back_to_app(clients, failure.details() or _FAILED)
        raise
    if session.merged_guest_user_id:
        account = Identity(
            user_id=session.identity.user_id, is_guest=False, token=session.access_token
        )
        # The guest's rooms (with the experts' memory of them) and try-ons become the account's.
        await clients.merge_guest_rooms(account, guest_token)
        await clients.merge_guest_tasks(account, guest_token)
    _set_session(request, clients, session)
    clear_cookie(request, GUEST_COOKIE, secure=clients.settings.cookie_secure)
    return _back_to_app(clients)


def _me(user: auth_pb2.User) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "userId": user.user_id,
        "nickname": user.nickname,
        "profile_image": user.profile_image or None,
        "is_guest": user.is_guest,
    }


@router.get(
    "/me",
    summary="Who the caller is (a Kakao account, or a guest)",
    response_model=Envelope[MeData],
    responses=error_responses(
        401, *DOWNSTREAM, notes={401: "no identity, or an expired login (refresh)"}
    ),
)
async def me(user: KnownUser, clients: ClientsDep):
    if user is None:
        raise ApiError(401, _NOT_LOGGED_IN)
    return envelope(_me(await clients.me(user.token)))


@router.post(
    "/refresh",
    summary="A new access token (the refresh token is rotated)",
    response_model=Envelope[RefreshData],
    responses=error_responses(
        401, 403, *DOWNSTREAM, notes={401: "no refresh token, or a revoked or reused one"}
    ),
)
async def refresh(request: Request, clients: ClientsDep):
    token = request.cookies.get(REFRESH_COOKIE, "")
    if not token:
        raise ApiError(401, _NOT_LOGGED_IN)
    try:
        session = await clients.refresh(token)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.UNAUTHENTICATED:
            _end_session(request, clients)
            raise ApiError(401, error.details() or _NOT_LOGGED_IN) from error
        raise
    _set_session(request, clients, session)
    return envelope({"expires_in": session.access_expires_in_seconds}, "토큰이 갱신되었습니다.")


@router.post(
    "/logout",
    summary="Ends the login (revokes the refresh token, clears cookies)",
    response_model=EmptyEnvelope,
    responses=error_responses(403, *DOWNSTREAM),
)
async def logout(request: Request, clients: ClientsDep):
    token = request.cookies.get(REFRESH_COOKIE, "")
    await clients.logout(token)
    _end_session(request, clients)
    return envelope(None, "로그아웃되었습니다.")

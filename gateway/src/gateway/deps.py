"""Request dependencies: the downstream clients and the caller's identity.

Identity cookies hold tokens auth-service signed; the gateway verifies them itself with
auth-service's published keys and forwards the token on every call, where each service verifies
it again.
"""

from typing import Annotated

from fastapi import Depends, Request

from gateway.clients import Clients
from gateway.cookies import ACCESS_COOKIE, GUEST_COOKIE, queue_cookie
from gateway.errors import ApiError
from tftkit.identity import Identity, InvalidIdentity

LOGIN_EXPIRED = "로그인이 만료되었어요. 다시 로그인하거나 새로고침해 주세요."


def get_clients(request: Request) -> Clients:
    return request.app.state.clients


ClientsDep = Annotated[Clients, Depends(get_clients)]


async def _verified(clients: Clients, token: str | None) -> Identity | None:
    if not token:
        return None
    try:
        return await clients.verifier.verify(token)
    except InvalidIdentity:
        return None


async def known_user(request: Request, clients: ClientsDep) -> Identity | None:
    """The caller's identity if the browser has a valid one; never creates one.

    A browser that logged in and whose access token has expired gets 401 (it should refresh),
    never a fresh guest identity that would hide its account.
    """
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        identity = await _verified(clients, access)
        if identity is None:
            raise ApiError(401, LOGIN_EXPIRED)
        return identity
    return await _verified(clients, request.cookies.get(GUEST_COOKIE))


async def current_user(request: Request, clients: ClientsDep) -> Identity:
    """The caller's identity, issuing a signed guest identity (cookie) on first use."""
    identity = await known_user(request, clients)
    if identity is not None:
        return identity
    session = await clients.issue_guest()
    settings = clients.settings
    queue_cookie(
        request,
        GUEST_COOKIE,
        session.access_token,
        max_age=settings.guest_cookie_max_age_seconds,
        secure=settings.cookie_secure,
    )
    return Identity(user_id=session.identity.user_id, is_guest=True, token=session.access_token)


KnownUser = Annotated[Identity | None, Depends(known_user)]
CurrentUser = Annotated[Identity, Depends(current_user)]

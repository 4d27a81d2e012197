"""Request dependencies: the downstream clients and the caller's identity."""

from typing import Annotated

import grpc
from fastapi import Depends, Request

from gateway.clients import Clients
from gateway.cookies import GUEST_COOKIE, queue_cookie
from thefirsttake.auth.v1 import auth_pb2


def get_clients(request: Request) -> Clients:
    return request.app.state.clients


ClientsDep = Annotated[Clients, Depends(get_clients)]


async def _known_identity(request: Request, clients: Clients) -> auth_pb2.Identity | None:
    token = request.cookies.get(GUEST_COOKIE)
    if not token:
        return None
    try:
        return await clients.verify(token)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.UNAUTHENTICATED:
            return None
        raise


async def known_user(request: Request, clients: ClientsDep) -> auth_pb2.Identity | None:
    """The caller's identity if the browser has a valid one; never creates one."""
    return await _known_identity(request, clients)


async def current_user(request: Request, clients: ClientsDep) -> auth_pb2.Identity:
    """The caller's identity, issuing a signed guest identity (cookie) on first use."""
    identity = await _known_identity(request, clients)
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
    return session.identity


KnownUser = Annotated[auth_pb2.Identity | None, Depends(known_user)]
CurrentUser = Annotated[auth_pb2.Identity, Depends(current_user)]

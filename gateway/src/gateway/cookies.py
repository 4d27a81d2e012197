"""Cookies set by dependencies, applied to any response (JSON or a streaming SSE one).

FastAPI merges a dependency's `Response` cookies only into responses it builds itself;
a route that returns a StreamingResponse would drop them. This ASGI middleware adds the
queued Set-Cookie headers to whatever response starts.
"""

from http.cookies import SimpleCookie

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A guest's signed identity; a logged-in user's access token (its JWT expires long before the
# cookie, so an expired login is told apart from no login at all); the refresh token, sent only
# to the auth routes; the one-time login state, only to Kakao's callback.
GUEST_COOKIE = "tft_guest"
ACCESS_COOKIE = "tft_access"
REFRESH_COOKIE = "tft_refresh"
STATE_COOKIE = "tft_login_state"
AUTH_PATH = "/api/auth"
CALLBACK_PATH = "/api/auth/kakao/callback"
_QUEUE = "tft_set_cookies"


def queue_cookie(
    request: Request,
    name: str,
    value: str,
    *,
    max_age: int,
    secure: bool,
    path: str = "/",
) -> None:
    """Asks the middleware to set an HttpOnly, SameSite=Lax cookie on this request's response
    (`max_age` 0 deletes it)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = path
    morsel["max-age"] = str(max_age)
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    request.scope.setdefault("state", {}).setdefault(_QUEUE, []).append(morsel.OutputString())


class QueuedCookiesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                queued = scope.get("state", {}).get(_QUEUE, [])
                if queued:
                    headers = list(message.get("headers", []))
                    headers += [(b"set-cookie", value.encode("latin-1")) for value in queued]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def clear_cookie(request: Request, name: str, *, secure: bool, path: str = "/") -> None:
    queue_cookie(request, name, "", max_age=0, secure=secure, path=path)

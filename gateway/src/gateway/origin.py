"""Cross-site request refusal: a state-changing request (POST, PUT, PATCH, DELETE) that says it
comes from another site's page is refused before it reaches a route, since the browser would
send our cookies with it. SameSite=Lax already keeps cookies off most such requests; this
covers the rest (and browsers that ignore SameSite). Requests without an Origin header (curl,
server-to-server) are not browsers acting for someone and pass."""

import json

from starlette.types import ASGIApp, Receive, Scope, Send

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REFUSED = json.dumps(
    {"status": "fail", "message": "cross-site request refused", "data": None}
).encode()


class SameOriginMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_origins: list[str]) -> None:
        self.app = app
        self._allowed = {origin.rstrip("/").lower() for origin in allowed_origins}

    def _own_origin(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        host = headers.get(b"host", b"").decode("latin-1").lower()
        return f"{scope.get('scheme', 'http')}://{host}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _UNSAFE:
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/").lower()
            if (
                origin
                and origin != self._own_origin(scope, headers)
                and origin not in self._allowed
            ):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": _REFUSED})
                return
        await self.app(scope, receive, send)

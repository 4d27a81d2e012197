"""A local HTTP server that speaks Kakao's OAuth 2.0 and user API, with knobs for tests."""

import asyncio
import base64
import contextlib
import copy
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tftkit.testing import AsgiTestServer

DEFAULT_USER: dict[str, Any] = {
    "id": 4242,
    "connected_at": "2025-01-01T00:00:00Z",
    "properties": {"nickname": "김민지", "profile_image": "http://k.kakaocdn.net/p.jpg"},
    "kakao_account": {},
}


@dataclass
class Call:
    """One request the server received, and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    form: dict[str, str] | None  # the url-encoded body of a POST, None otherwise
    status: int = 0  # 0 while the answer is still pending


@dataclass
class _Grant:
    """An authorization code Kakao handed out."""

    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: float = field(default_factory=time.monotonic)
    used: bool = False


class KakaoServer:
    """`async with KakaoServer(client_id=..., ...) as kakao:` serves Kakao at kakao.*_base_url."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        code_ttl_seconds: float = 600.0,
    ) -> None:
        self.client_id = client_id
        # None: the app has no client secret enabled (Kakao then ignores the field).
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.code_ttl_seconds = code_ttl_seconds
        # What the person does on the consent screen, for the next authorize only.
        self.next_decision: Literal["approve", "cancel"] = "approve"
        self.user: dict[str, Any] = copy.deepcopy(DEFAULT_USER)
        self.fail_token_with_500 = False
        self.slow_seconds = 0.0  # delay before /oauth/token answers
        self.malformed_user = False  # /v2/user/me answers 200 with HTML
        self.malformed_token = False  # /oauth/token answers 200 without an access_token
        self.calls: list[Call] = []
        self.codes: dict[str, _Grant] = {}
        self.access_tokens: set[str] = set()  # live tokens; logout revokes
        self.issued_tokens: list[str] = []  # every access token ever issued, in order
        self.auth_base_url = ""
        self.api_base_url = ""
        self._release = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route("/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/v2/user/me", self._me, methods=["GET", "POST"]),
                Route("/v1/user/logout", self._logout, methods=["POST"]),
            ]
        )

    async def __aenter__(self) -> "KakaoServer":
        self._http = AsgiTestServer(self.app, name="Kakao")
        base_url = await self._http.start()
        self.auth_base_url = base_url
        self.api_base_url = base_url
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Slow answers still pending end now instead of holding the shutdown.
        self._release.set()
        await self._http.stop()

    def calls_to(self, path: str) -> list[Call]:
        """The recorded calls of one path, oldest first."""
        return [call for call in self.calls if call.path == path]

    async def authorize(self, http: httpx.AsyncClient, url: str) -> str:
        """Opens the authorize URL like a browser and returns the redirect's Location."""
        response = await http.get(url, follow_redirects=False)
        if response.status_code != 302:
            raise AssertionError(f"authorize answered {response.status_code}: {response.text}")
        return response.headers["location"]

    async def _record(self, request: Request) -> Call:
        form: dict[str, str] | None = None
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            form = dict(parse_qsl(body, keep_blank_values=True))
        call = Call(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={name.lower(): value for name, value in request.headers.items()},
            form=form,
        )
        self.calls.append(call)
        return call

    @staticmethod
    def _answer(call: Call, response: Response) -> Response:
        call.status = response.status_code
        return response

    async def _authorize(self, request: Request) -> Response:
        call = await self._record(request)
        query = call.query
        # Kakao shows an error page for these and never redirects to an unverified URI.
        if query.get("client_id") != self.client_id:
            return self._answer(call, PlainTextResponse("KOE101: invalid client_id", 400))
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri != self.redirect_uri:
            return self._answer(call, PlainTextResponse("KOE006: redirect_uri mismatch", 400))
        state = query.get("state")
        if query.get("response_type") != "code":
            return self._answer(
                call,
                self._back(
                    redirect_uri,
                    {
                        "error": "invalid_request",
                        "error_description": "Unsupported response type",
                    },
                    state,
                ),
            )
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method")
        if challenge is not None and (method or "plain") not in ("S256", "plain"):
            return self._answer(call, PlainTextResponse("KOE001: bad code_challenge_method", 400))
        decision, self.next_decision = self.next_decision, "approve"
        if decision == "cancel":
            params = {"error": "access_denied", "error_description": "User denied access"}
            return self._answer(call, self._back(redirect_uri, params, state))
        code = secrets.token_urlsafe(48)
        self.codes[code] = _Grant(redirect_uri, challenge, method if challenge else None)
        return self._answer(call, self._back(redirect_uri, {"code": code}, state))

    @staticmethod
    def _back(redirect_uri: str, params: dict[str, str], state: str | None) -> Response:
        """The 302 to the callback; Kakao encodes spaces as %20."""
        if state is not None:
            params = {**params, "state": state}
        separator = "&" if urlsplit(redirect_uri).query else "?"
        location = f"{redirect_uri}{separator}{urlencode(params, quote_via=quote)}"
        return RedirectResponse(location, status_code=302)

    async def _token(self, request: Request) -> Response:
        call = await self._record(request)
        if self.slow_seconds > 0:
            # Answers late (or at shutdown), after the client has given up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.slow_seconds)
        return self._answer(call, self._token_answer(call))

    def _token_answer(self, call: Call) -> Response:
        if self.fail_token_with_500:
            return PlainTextResponse("Internal Server Error", 500)
        media_type, _, parameters = call.headers.get("content-type", "").partition(";")
        charset = parameters.strip().lower()
        if media_type.strip().lower() != "application/x-www-form-urlencoded" or charset not in (
            "",
            "charset=utf-8",
        ):
            return _oauth_error(400, "invalid_request", "unsupported content type", None)
        form = call.form or {}
        if form.get("grant_type") != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", "grant_type", None)
        if form.get("client_id") != self.client_id:
            return _oauth_error(401, "invalid_client", "Not exist client_id", "KOE101")
        if self.client_secret is not None and form.get("client_secret") != self.client_secret:
            return _oauth_error(401, "invalid_client", "Bad client credentials", "KOE010")
        code = form.get("code", "")
        grant = self.codes.get(code)
        expired = grant is not None and time.monotonic() - grant.issued_at > self.code_ttl_seconds
        if grant is None or grant.used or expired:
            description = f"authorization code not found for code={code}"
            return _oauth_error(400, "invalid_grant", description, "KOE320")
        # A code is spent by any attempt, as with Kakao: a failed try cannot be repeated.
        grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error(400, "invalid_grant", "Redirect URI mismatch.", "KOE303")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier or _challenge(verifier, grant.code_challenge_method) != (
                grant.code_challenge
            ):
                return _oauth_error(400, "invalid_grant", "code_verifier mismatch", None)
        if self.malformed_token:
            return JSONResponse({"token_type": "bearer", "expires_in": 21599})
        access_token = secrets.token_urlsafe(32)
        self.access_tokens.add(access_token)
        self.issued_tokens.append(access_token)
        scopes = ["profile_nickname", "profile_image"]
        account = self.user.get("kakao_account")
        if isinstance(account, dict) and "email" in account:
            scopes.append("account_email")
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "bearer",
                "refresh_token": secrets.token_urlsafe(32),
                "expires_in": 21599,
                "refresh_token_expires_in": 5183999,
                "scope": " ".join(scopes),
            }
        )

    def _bearer(self, call: Call) -> str | None:
        """The live access token of the call's Authorization header, None otherwise."""
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.access_tokens:
            return None
        return token

    async def _me(self, request: Request) -> Response:
        call = await self._record(request)
        if self._bearer(call) is None:
            return self._answer(call, _api_error())
        if self.malformed_user:
            return self._answer(call, PlainTextResponse("<html>점검 중</html>", 200))
        return self._answer(call, JSONResponse(copy.deepcopy(self.user)))

    async def _logout(self, request: Request) -> Response:
        call = await self._record(request)
        token = self._bearer(call)
        if token is None:
            return self._answer(call, _api_error())
        self.access_tokens.discard(token)
        return self._answer(call, JSONResponse({"id": self.user.get("id")}))


def _oauth_error(status: int, error: str, description: str, error_code: str | None) -> Response:
    """kauth.kakao.com's error body."""
    body = {"error": error, "error_description": description}
    if error_code is not None:
        body["error_code"] = error_code
    return JSONResponse(body, status)


def _api_error() -> Response:
    """kapi.kakao.com's answer to a missing, unknown or revoked access token."""
    return JSONResponse({"msg": "this access token does not exist", "code": -401}, 401)


def _challenge(verifier: str, method: str | None) -> str:
    """The code_challenge a verifier stands for (RFC 7636)."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("utf-8")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier


def callback_params(location: str) -> dict[str, str]:
    """The query parameters of a callback URL (code & state, or error & state)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}

"""Kakao OAuth 2.0: the authorize URL, the code-for-token exchange and the person's profile."""

import base64
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from tftkit import text

log = logging.getLogger(__name__)

MSG_FAILED = "카카오 로그인에 실패했어요. 다시 시도해 주세요."
MSG_EXPIRED = "로그인 시간이 지났어요. 다시 로그인해 주세요."
MSG_UNREACHABLE = "카카오에 연결할 수 없어요. 잠시 후 다시 시도해 주세요."
MSG_CANCELLED = "카카오 로그인을 취소했어요."
DEFAULT_NICKNAME = "카카오 사용자"
# What is kept of a Kakao profile (Kakao's own nicknames are far shorter).
MAX_NICKNAME_CHARS = 100
MAX_PICTURE_URL_CHARS = 2048

# Kakao wants the charset spelled out; httpx's `data=` would send the bare media type.
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"
# Kakao's answers to a code that is used, expired or unknown.
_INVALID_CODE_ERROR_CODES = frozenset({"KOE320"})
# Kakao's answers to a wrong REST API key or client secret (our configuration, not the person).
_INVALID_CLIENT_ERROR_CODES = frozenset({"KOE010", "KOE101"})
# Only identifiers like "KOE320" or "-401" reach the logs, never free text from the answer.
_LOGGABLE_CODE = re.compile(r"^-?[A-Za-z0-9_]{1,24}$")


class KakaoLoginFailed(Exception):
    """A Kakao login that cannot go on; `message` is for the person, `reason` for logs/metrics."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class KakaoUser:
    """The Kakao account behind a login."""

    kakao_id: int
    nickname: str
    profile_image: str
    email: str | None


def new_pkce_pair() -> tuple[str, str]:
    """A fresh PKCE (code_verifier, S256 code_challenge) pair."""
    # 64 random bytes → 86 URL-safe characters, inside RFC 7636's 43..128.
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def cancelled_message(error: str) -> str:
    """The message for a callback that came back with `error=` instead of a code."""
    return MSG_CANCELLED if error == "access_denied" else MSG_FAILED


def _loggable(value: object) -> str | None:
    """`value` when it looks like one of Kakao's error codes, else None (keeps logs clean)."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return text if _LOGGABLE_CODE.match(text) else None


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object, None when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _text(value: object) -> str:
    """`value` stripped when it is a string, else the empty string."""
    return value.strip() if isinstance(value, str) else ""


class KakaoClient:
    """Speaks Kakao's OAuth 2.0 and user API; one instance serves many logins."""

    new_pkce_pair = staticmethod(new_pkce_pair)
    cancelled_message = staticmethod(cancelled_message)

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        auth_base_url: str,
        api_base_url: str,
        timeout_seconds: float,
        use_pkce: bool = False,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._auth_base_url = auth_base_url.rstrip("/")
        self._api_base_url = api_base_url.rstrip("/")
        self.use_pkce = use_pkce
        self._timeout = httpx.Timeout(timeout_seconds)
        # An injected client belongs to the caller, who closes it.
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=self._timeout)

    async def aclose(self) -> None:
        """Closes the HTTP client when this instance created it."""
        if self._owns_http:
            await self._http.aclose()

    def authorize_url(self, *, state: str, code_challenge: str | None = None) -> str:
        """Where to send the person's browser to approve the login."""
        if not state:
            raise ValueError("state is required")
        params = {
            "client_id": self._client_id,
            "redirect_uri": self._redirect_uri,
            "response_type": "code",
            "state": state,
        }
        if self.use_pkce:
            if not code_challenge:
                raise ValueError("PKCE is on: code_challenge is required")
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        elif code_challenge is not None:
            raise ValueError("PKCE is off: code_challenge must not be given")
        return f"{self._auth_base_url}/oauth/authorize?{urlencode(params)}"

    async def exchange_code(self, *, code: str, code_verifier: str | None = None) -> str:
        """Kakao's access token for the code of the callback."""
        if self.use_pkce and not code_verifier:
            raise ValueError("PKCE is on: code_verifier is required")
        if not self.use_pkce and code_verifier is not None:
            raise ValueError("PKCE is off: code_verifier must not be given")
        if not code:
            # Kakao would answer KOE320 anyway; no need to ask.
            raise self._failed("token", "invalid_code", MSG_EXPIRED)
        form = {
            "grant_type": "authorization_code",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            # Must be byte-for-byte the redirect_uri of the authorize URL, or Kakao refuses.
            "redirect_uri": self._redirect_uri,
            "code": code,
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        response = await self._send(
            "token",
            "POST",
            f"{self._auth_base_url}/oauth/token",
            content=urlencode(form).encode("utf-8"),
            headers={"Content-Type": _FORM_CONTENT_TYPE, "Accept": "application/json"},
        )
        body = _json_object(response)
        if not response.is_success:
            raise self._token_refused(response.status_code, body)
        if body is None:
            raise self._failed("token", "malformed", MSG_FAILED, status=response.status_code)
        access_token = body.get("access_token")
        token_type = body.get("token_type", "bearer")
        if not isinstance(access_token, str) or not access_token:
            raise self._failed("token", "malformed", MSG_FAILED, status=response.status_code)
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise self._failed("token", "malformed", MSG_FAILED, status=response.status_code)
        return access_token

    async def fetch_user(self, *, access_token: str) -> KakaoUser:
        """The Kakao account the access token belongs to."""
        response = await self._send(
            "user",
            "GET",
            f"{self._api_base_url}/v2/user/me",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        body = _json_object(response)
        if not response.is_success:
            code = body.get("code") if body else None
            if response.status_code == 401:
                raise self._failed("user", "unauthorized", MSG_FAILED, status=401, error_code=code)
            raise self._failed(
                "user", "kakao_error", MSG_FAILED, status=response.status_code, error_code=code
            )
        if body is None:
            raise self._failed("user", "malformed", MSG_FAILED, status=response.status_code)
        return self._user(body, response.status_code)

    async def login(self, *, code: str, code_verifier: str | None = None) -> KakaoUser:
        """The Kakao account that approved the login: exchange the code, then ask who it is."""
        access_token = await self.exchange_code(code=code, code_verifier=code_verifier)
        return await self.fetch_user(access_token=access_token)

    async def logout(self, *, access_token: str) -> bool:
        """Ends the Kakao session of the token; True when Kakao confirmed, never raises."""
        try:
            response = await self._send(
                "logout",
                "POST",
                f"{self._api_base_url}/v1/user/logout",
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except KakaoLoginFailed:
            # Our own session ends regardless; Kakao's expires on its own.
            return False
        if not response.is_success:
            body = _json_object(response)
            log.warning(
                "kakao logout refused",
                extra={
                    "fields": {
                        "status": response.status_code,
                        "error_code": _loggable(body.get("code")) if body else None,
                    }
                },
            )
            return False
        return True

    async def _send(self, step: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with the timeout; transport trouble becomes KakaoLoginFailed."""
        try:
            return await self._http.request(method, url, timeout=self._timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise self._failed(step, "timeout", MSG_UNREACHABLE, cause=type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise self._failed(
                step, "unreachable", MSG_UNREACHABLE, cause=type(exc).__name__
            ) from exc

    def _token_refused(self, status: int, body: dict[str, Any] | None) -> KakaoLoginFailed:
        """The failure for a non-2xx answer of /oauth/token."""
        error = body.get("error") if body else None
        error_code = body.get("error_code") if body else None
        if error_code in _INVALID_CODE_ERROR_CODES or error == "invalid_grant":
            # The code was used, expired or never issued: the person must start over.
            return self._failed(
                "token", "invalid_code", MSG_EXPIRED, status=status, error_code=error_code
            )
        if error_code in _INVALID_CLIENT_ERROR_CODES or error == "invalid_client":
            return self._failed(
                "token", "invalid_client", MSG_FAILED, status=status, error_code=error_code
            )
        return self._failed(
            "token", "kakao_error", MSG_FAILED, status=status, error_code=error_code
        )

    def _user(self, body: dict[str, Any], status: int) -> KakaoUser:
        """A KakaoUser from /v2/user/me's JSON, or KakaoLoginFailed("malformed")."""
        kakao_id = body.get("id")
        # bool is an int in Python, and a float id would be a different (rounded) person.
        if not isinstance(kakao_id, int) or isinstance(kakao_id, bool) or kakao_id <= 0:
            raise self._failed("user", "malformed", MSG_FAILED, status=status)
        properties = body.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        account = body.get("kakao_account")
        account = account if isinstance(account, dict) else {}
        profile = account.get("profile")
        profile = profile if isinstance(profile, dict) else {}
        # Older apps get the profile in `properties`, newer ones in `kakao_account.profile`.
        nickname = _text(properties.get("nickname")) or _text(profile.get("nickname"))
        profile_image = _text(properties.get("profile_image")) or _text(
            profile.get("profile_image_url")
        )
        # The text rule of tftkit.text, tidying: the person did not type these to us and cannot
        # fix them here, so a login is never refused over them. A nickname loses what the rule
        # refuses and is cut to length; a picture URL that breaks the rule is not a URL to keep.
        nickname = text.tidied(nickname, max_chars=MAX_NICKNAME_CHARS).strip()
        if text.problem_of(profile_image) or len(profile_image) > MAX_PICTURE_URL_CHARS:
            profile_image = ""
        email = _text(account.get("email")) or None
        # An address Kakao marks invalid or unverified cannot vouch for anyone.
        if account.get("is_email_valid") is False or account.get("is_email_verified") is False:
            email = None
        return KakaoUser(
            kakao_id=kakao_id,
            nickname=nickname or DEFAULT_NICKNAME,
            profile_image=profile_image,
            email=email,
        )

    @staticmethod
    def _failed(
        step: str,
        reason: str,
        message: str,
        *,
        status: int | None = None,
        error_code: object = None,
        cause: str | None = None,
    ) -> KakaoLoginFailed:
        """A KakaoLoginFailed, logged with identifiers only (no tokens, codes or Kakao text)."""
        fields: dict[str, object] = {"step": step, "reason": reason}
        if status is not None:
            fields["status"] = status
        if error_code is not None:
            fields["error_code"] = _loggable(error_code)
        if cause is not None:
            fields["cause"] = cause
        log.warning(
            "kakao login failed: step=%s reason=%s status=%s error_code=%s",
            step,
            reason,
            fields.get("status"),
            fields.get("error_code"),
            extra={"fields": fields},
        )
        return KakaoLoginFailed(reason, message)

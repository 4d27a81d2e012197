"""Kakao login: one-time states bound to the browser, the code exchange, the account upsert,
and the guest identity the account takes over."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from auth_service import users
from auth_service.kakao import KakaoClient, KakaoLoginFailed, cancelled_message, new_pkce_pair

_BAD_STATE = "로그인 요청이 만료되었거나 올바르지 않아요. 다시 로그인해 주세요."


class LoginRefused(Exception):
    """The callback cannot be trusted or Kakao refused; `reason` for metrics, `message` for
    the person (Korean)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Started:
    authorize_url: str
    state: str


def _hash(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


async def start(*, pool: asyncpg.Pool, kakao: KakaoClient, ttl_seconds: int, pkce: bool) -> Started:
    """A fresh one-time state (stored hashed) and Kakao's authorize URL carrying it."""
    state = secrets.token_urlsafe(24)
    verifier, challenge = new_pkce_pair() if pkce else ("", None)
    await pool.execute(
        "INSERT INTO login_states (state_hash, code_verifier, expires_at) VALUES ($1, $2, $3)",
        _hash(state),
        verifier,
        datetime.now(UTC) + timedelta(seconds=ttl_seconds),
    )
    # Expired states of abandoned logins go with each new one.
    await pool.execute("DELETE FROM login_states WHERE expires_at < now()")
    return Started(kakao.authorize_url(state=state, code_challenge=challenge), state)


async def complete(
    *,
    pool: asyncpg.Pool,
    kakao: KakaoClient,
    code: str,
    state: str,
    expected_state: str,
    error: str = "",
) -> users.User:
    """The account of the person Kakao vouches for; raises LoginRefused (also when Kakao came
    back with `error` instead of a code)."""
    # The state must be the one this browser started with (its cookie), and unused.
    if not state or not expected_state or not hmac.compare_digest(state, expected_state):
        raise LoginRefused("state_mismatch", _BAD_STATE)
    verifier = await pool.fetchval(
        "DELETE FROM login_states WHERE state_hash = $1 AND expires_at > now()"
        " RETURNING code_verifier",
        _hash(state),
    )
    if verifier is None:
        raise LoginRefused("state_unknown", _BAD_STATE)
    if error:
        reason = "cancelled" if error == "access_denied" else "kakao_error"
        raise LoginRefused(reason, cancelled_message(error))
    if not code:
        raise LoginRefused("no_code", _BAD_STATE)
    try:
        person = await kakao.login(code=code, code_verifier=verifier or None)
    except KakaoLoginFailed as error:
        raise LoginRefused(error.reason, error.message) from error
    return await users.upsert_kakao_user(
        pool=pool,
        kakao_id=person.kakao_id,
        nickname=person.nickname,
        profile_image=person.profile_image,
    )

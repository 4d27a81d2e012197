"""Kakao login, refresh rotation and logout over real gRPC, against a local server that speaks
Kakao's OAuth and user API."""

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import httpx
import pytest
from harness import RunningAuth, auth_service
from kakao_server import KakaoServer, callback_params
from prometheus_client import REGISTRY

from thefirsttake.auth.v1 import auth_pb2

REDIRECT = "http://app.test/api/auth/kakao/callback"


@asynccontextmanager
async def with_kakao(**settings: object) -> AsyncIterator[tuple[RunningAuth, KakaoServer]]:
    async with (
        KakaoServer(client_id="rest-key", client_secret="s3cret", redirect_uri=REDIRECT) as kakao,
        auth_service(
            kakao_client_id="rest-key",
            kakao_client_secret="s3cret",
            kakao_redirect_uri=REDIRECT,
            kakao_auth_base_url=kakao.auth_base_url,
            kakao_api_base_url=kakao.api_base_url,
            **settings,
        ) as auth,
    ):
        yield auth, kakao


async def _login(auth: RunningAuth, kakao: KakaoServer, guest_token: str = ""):
    """The browser's round trip: start, Kakao's consent, the callback."""
    started = await auth.stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest())
    async with httpx.AsyncClient() as browser:
        params = callback_params(await kakao.authorize(browser, started.authorize_url))
    return (
        started,
        params,
        await auth.stub.CompleteKakaoLogin(
            auth_pb2.CompleteKakaoLoginRequest(
                code=params.get("code", ""),
                state=params["state"],
                expected_state=started.state,
                guest_token=guest_token,
            )
        ),
    )


async def _refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_login_creates_the_account_once_and_takes_over_the_guest():
    async with with_kakao() as (auth, kakao):
        guest = await auth.stub.IssueGuest(auth_pb2.IssueGuestRequest())
        logins = _metric("kakao_login_success_total")
        signed = _metric("jwt_token_generation_duration_count", type="access")
        _, _, session = await _login(auth, kakao, guest.access_token)
        assert _metric("kakao_login_success_total") == logins + 1
        assert _metric("jwt_token_generation_duration_count", type="access") == signed + 1
        assert not session.identity.is_guest and session.refresh_token
        assert session.merged_guest_user_id == guest.identity.user_id
        me = await auth.stub.GetMe(auth_pb2.GetMeRequest(token=session.access_token))
        assert (me.nickname, me.is_guest) == (kakao.user["properties"]["nickname"], False)
        merged_into = await auth.pool.fetchval(
            "SELECT merged_into::text FROM users WHERE id = $1::uuid", guest.identity.user_id
        )
        assert merged_into == session.identity.user_id
        # Logging in again (another browser, no guest) is the same account, and takes no guest.
        _, _, again = await _login(auth, kakao)
        assert again.identity.user_id == session.identity.user_id
        assert again.merged_guest_user_id == ""
        assert await auth.pool.fetchval("SELECT count(*) FROM users WHERE NOT is_guest") == 1


async def test_a_replayed_or_forged_callback_is_refused_and_creates_no_one():
    async with with_kakao() as (auth, kakao):
        started, params, _ = await _login(auth, kakao)
        users_before = await auth.pool.fetchval("SELECT count(*) FROM users")
        replay = auth_pb2.CompleteKakaoLoginRequest(
            code=params["code"], state=params["state"], expected_state=started.state
        )
        failures = _metric("kakao_login_failure_total", reason="state_unknown")
        refused = await _refused(auth.stub.CompleteKakaoLogin(replay))
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
        assert _metric("kakao_login_failure_total", reason="state_unknown") == failures + 1
        assert "다시 로그인" in refused.details()
        # Another browser's state, or none at all.
        other = await auth.stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest())
        mine = await auth.stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest())
        for state, expected in ((other.state, mine.state), ("", ""), (mine.state, "")):
            request = auth_pb2.CompleteKakaoLoginRequest(
                code="anything", state=state, expected_state=expected
            )
            refused = await _refused(auth.stub.CompleteKakaoLogin(request))
            assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
        assert await auth.pool.fetchval("SELECT count(*) FROM users") == users_before


async def test_kakao_refusing_or_the_person_cancelling_creates_no_one():
    async with with_kakao() as (auth, kakao):
        _, params, _ = await _login(auth, kakao)
        # A used code (Kakao answers KOE320).
        again = await auth.stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest())
        refused = await _refused(
            auth.stub.CompleteKakaoLogin(
                auth_pb2.CompleteKakaoLoginRequest(
                    code=params["code"], state=again.state, expected_state=again.state
                )
            )
        )
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "KOE" not in refused.details()
        # The person cancels on Kakao's screen: no code comes back.
        kakao.next_decision = "cancel"
        cancelled = await auth.stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest())
        async with httpx.AsyncClient() as browser:
            back = callback_params(await kakao.authorize(browser, cancelled.authorize_url))
        assert back["error"] == "access_denied"
        cancels = _metric("kakao_login_failure_total", reason="cancelled")
        refused = await _refused(
            auth.stub.CompleteKakaoLogin(
                auth_pb2.CompleteKakaoLoginRequest(
                    state=back["state"], expected_state=cancelled.state, error=back["error"]
                )
            )
        )
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
        assert refused.details() == "카카오 로그인을 취소했어요."
        assert _metric("kakao_login_failure_total", reason="cancelled") == cancels + 1
        assert await auth.pool.fetchval("SELECT count(*) FROM login_states") == 0
        assert await auth.pool.fetchval("SELECT count(*) FROM users") == 1


async def test_refresh_rotates_and_a_reused_token_revokes_the_family():
    async with with_kakao() as (auth, kakao):
        _, _, session = await _login(auth, kakao)
        first = session.refresh_token
        second = (
            await auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=first))
        ).refresh_token
        third = (
            await auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=second))
        ).refresh_token
        assert len({first, second, third}) == 3
        stored = await auth.pool.fetch("SELECT token_hash FROM refresh_tokens")
        assert hashlib.sha256(third.encode()).digest() in {row["token_hash"] for row in stored}
        assert all(third.encode() != row["token_hash"] for row in stored)  # never stored plain
        # The first token again: someone copied it. Refused, and the newest is dead too.
        refused = await _refused(auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=first)))
        assert refused.code() == grpc.StatusCode.UNAUTHENTICATED
        refused = await _refused(auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=third)))
        assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_logout_revokes_the_refresh_token():
    async with with_kakao() as (auth, kakao):
        _, _, session = await _login(auth, kakao)
        logouts = _metric("logout_total")
        await auth.stub.Logout(auth_pb2.LogoutRequest(refresh_token=session.refresh_token))
        assert _metric("logout_total") == logouts + 1
        refused = await _refused(
            auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=session.refresh_token))
        )
        assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_an_internal_client_gets_a_short_token_for_a_user_with_its_own_secret():
    secret = "batch-job-secret-value"
    entry = f"batch-job:{hashlib.sha256(secret.encode()).hexdigest()}"
    async with auth_service(service_clients=entry, service_token_ttl_seconds=120) as auth:
        guest = await auth.stub.IssueGuest(auth_pb2.IssueGuestRequest())
        issued = await auth.stub.IssueServiceToken(
            auth_pb2.IssueServiceTokenRequest(
                client_id="batch-job", client_secret=secret, user_id=guest.identity.user_id
            )
        )
        assert issued.access_expires_in_seconds == 120
        identity = await auth.stub.Verify(auth_pb2.VerifyRequest(token=issued.access_token))
        assert identity.user_id == guest.identity.user_id
        for client, given in (("batch-job", "wrong"), ("nobody", secret), ("batch-job", "")):
            refused = await _refused(
                auth.stub.IssueServiceToken(
                    auth_pb2.IssueServiceTokenRequest(
                        client_id=client, client_secret=given, user_id=guest.identity.user_id
                    )
                )
            )
            assert refused.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_without_kakao_settings_login_says_so():
    async with auth_service() as auth:
        refused = await _refused(auth.stub.StartKakaoLogin(auth_pb2.StartKakaoLoginRequest()))
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_kakao_profile_with_control_characters_is_stored_tidied():
    # Kakao sends what the person typed there; PostgreSQL cannot store NUL, and refusing the
    # login would block them over something they cannot fix here (tftkit.text, tidying).
    async with with_kakao() as (auth, kakao):
        decomposed = "\u1100\u1161\u11ab"  # 간, as a Mac's keyboard may send it
        kakao.user = {
            "id": 9001,
            "properties": {
                "nickname": f"민\x00지\x07{decomposed}\u0085" + "가" * 300,
                "profile_image": "http://k.kakaocdn.net/p\x00.jpg",
            },
        }
        _, _, session = await _login(auth, kakao)
        me = await auth.stub.GetMe(auth_pb2.GetMeRequest(token=session.access_token))
        assert me.nickname.startswith("민지간가") and len(me.nickname) == 100
        assert me.profile_image == ""
        stored = await auth.pool.fetchval(
            "SELECT nickname FROM users WHERE id = $1::uuid", session.identity.user_id
        )
        assert stored == me.nickname

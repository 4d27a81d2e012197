"""The Kakao OAuth client against a local server that speaks Kakao's protocol."""

import base64
import hashlib
import logging
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from kakao_server import KakaoServer, callback_params

from auth_service.kakao import (
    DEFAULT_NICKNAME,
    MSG_CANCELLED,
    MSG_EXPIRED,
    MSG_FAILED,
    MSG_UNREACHABLE,
    KakaoClient,
    KakaoLoginFailed,
    KakaoUser,
    cancelled_message,
    new_pkce_pair,
)

CLIENT_ID = "test-rest-api-key"
CLIENT_SECRET = "test-client-secret"
REDIRECT_URI = "http://127.0.0.1:8000/auth/kakao/callback"
# Fragments of Kakao's own error bodies that must never reach the person.
KAKAO_TEXT = ("KOE", "authorization code", "invalid_", "access token", "credentials", "-401")

ClientFactory = Callable[..., KakaoClient]


@pytest.fixture
async def kakao() -> AsyncIterator[KakaoServer]:
    async with KakaoServer(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI
    ) as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


@pytest.fixture
async def make_client(kakao: KakaoServer) -> AsyncIterator[ClientFactory]:
    """Builds KakaoClients pointed at the local server; all are closed afterwards."""
    clients: list[KakaoClient] = []

    def build(**overrides: object) -> KakaoClient:
        values: dict[str, object] = dict(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT_URI,
            auth_base_url=kakao.auth_base_url,
            api_base_url=kakao.api_base_url,
            timeout_seconds=5.0,
        )
        values.update(overrides)
        client = KakaoClient(**values)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


async def approved_code(
    kakao: KakaoServer,
    browser: httpx.AsyncClient,
    client: KakaoClient,
    code_challenge: str | None = None,
) -> str:
    """The code of a login the person approved (the state is checked on the way)."""
    state = secrets.token_urlsafe(16)
    location = await kakao.authorize(
        browser, client.authorize_url(state=state, code_challenge=code_challenge)
    )
    assert location.startswith(REDIRECT_URI + "?")
    params = callback_params(location)
    assert params["state"] == state
    return params["code"]


def assert_friendly(failure: KakaoLoginFailed, reason: str, message: str) -> None:
    """The failure has the reason and the Korean message, and none of Kakao's words."""
    assert failure.reason == reason
    assert failure.message == message
    assert not any(fragment in failure.message for fragment in KAKAO_TEXT)


async def test_full_login_returns_the_kakao_user(kakao, browser, make_client):
    client = make_client()
    state = secrets.token_urlsafe(16)
    url = client.authorize_url(state=state)
    assert url.startswith(f"{kakao.auth_base_url}/oauth/authorize?")
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "state": state,
    }
    params = callback_params(await kakao.authorize(browser, url))
    assert params["state"] == state
    user = await client.login(code=params["code"])
    assert user == KakaoUser(
        kakao_id=4242, nickname="김민지", profile_image="http://k.kakaocdn.net/p.jpg", email=None
    )


async def test_the_token_request_is_exactly_kakaos_form(kakao, browser, make_client):
    client = make_client()
    code = await approved_code(kakao, browser, client)
    await client.login(code=code)
    [token_call] = kakao.calls_to("/oauth/token")
    assert token_call.method == "POST"
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded;charset=utf-8"
    assert token_call.query == {}
    assert token_call.form == {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "code": code,
    }
    assert token_call.status == 200
    [me_call] = kakao.calls_to("/v2/user/me")
    assert me_call.method == "GET"
    assert me_call.headers["authorization"] == f"Bearer {kakao.issued_tokens[0]}"
    assert me_call.query == {}


async def test_exchange_code_returns_kakaos_access_token(kakao, browser, make_client):
    client = make_client()
    code = await approved_code(kakao, browser, client)
    assert await client.exchange_code(code=code) == kakao.issued_tokens[-1]


async def test_a_reused_code_is_invalid_code_and_leaks_nothing(kakao, browser, make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="auth_service.kakao")
    client = make_client()
    code = await approved_code(kakao, browser, client)
    await client.login(code=code)
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=code)
    assert_friendly(raised.value, "invalid_code", MSG_EXPIRED)
    assert kakao.calls_to("/oauth/token")[-1].status == 400
    # The log names Kakao's error code, never the code, the token or Kakao's description.
    assert "KOE320" in caplog.text
    assert code not in caplog.text
    assert kakao.issued_tokens[0] not in caplog.text
    assert "authorization code not found" not in caplog.text


async def test_an_unknown_code_is_invalid_code(kakao, make_client):
    with pytest.raises(KakaoLoginFailed) as raised:
        await make_client().login(code="never-issued")
    assert_friendly(raised.value, "invalid_code", MSG_EXPIRED)


async def test_an_empty_code_is_refused_without_asking_kakao(kakao, make_client):
    with pytest.raises(KakaoLoginFailed) as raised:
        await make_client().login(code="")
    assert_friendly(raised.value, "invalid_code", MSG_EXPIRED)
    assert kakao.calls_to("/oauth/token") == []


async def test_an_expired_code_is_invalid_code(kakao, browser, make_client):
    kakao.code_ttl_seconds = 0.0
    client = make_client()
    code = await approved_code(kakao, browser, client)
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=code)
    assert_friendly(raised.value, "invalid_code", MSG_EXPIRED)


async def test_a_wrong_client_secret_is_invalid_client(kakao, browser, make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="auth_service.kakao")
    client = make_client(client_secret="not-the-secret")
    code = await approved_code(kakao, browser, client)
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=code)
    assert_friendly(raised.value, "invalid_client", MSG_FAILED)
    assert kakao.calls_to("/oauth/token")[-1].status == 401
    assert "KOE010" in caplog.text
    assert "not-the-secret" not in caplog.text


async def test_a_redirect_uri_other_than_the_authorized_one_is_refused(kakao, browser, make_client):
    code = await approved_code(kakao, browser, make_client())
    other = make_client(redirect_uri=REDIRECT_URI + "/other")
    with pytest.raises(KakaoLoginFailed) as raised:
        await other.login(code=code)
    # Kakao answers invalid_grant (KOE303): the person has to start over.
    assert_friendly(raised.value, "invalid_code", MSG_EXPIRED)
    assert kakao.calls_to("/oauth/token")[-1].form["redirect_uri"] == REDIRECT_URI + "/other"


async def test_an_unregistered_redirect_uri_never_gets_a_code(kakao, browser, make_client):
    url = make_client(redirect_uri="https://evil.example/cb").authorize_url(state="s")
    response = await browser.get(url, follow_redirects=False)
    assert response.status_code == 400
    assert kakao.codes == {}


async def test_an_unknown_access_token_is_unauthorized(kakao, make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="auth_service.kakao")
    with pytest.raises(KakaoLoginFailed) as raised:
        await make_client().fetch_user(access_token="not-a-kakao-token")
    assert_friendly(raised.value, "unauthorized", MSG_FAILED)
    assert kakao.calls_to("/v2/user/me")[-1].status == 401
    assert "not-a-kakao-token" not in caplog.text


async def test_logout_revokes_the_token(kakao, browser, make_client):
    client = make_client()
    token = await client.exchange_code(code=await approved_code(kakao, browser, client))
    assert await client.logout(access_token=token) is True
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.fetch_user(access_token=token)
    assert raised.value.reason == "unauthorized"
    assert await client.logout(access_token=token) is False
    assert [call.headers["authorization"] for call in kakao.calls_to("/v1/user/logout")] == [
        f"Bearer {token}"
    ] * 2


async def test_a_kakao_500_is_kakao_error(kakao, browser, make_client):
    client = make_client()
    code = await approved_code(kakao, browser, client)
    kakao.fail_token_with_500 = True
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=code)
    assert_friendly(raised.value, "kakao_error", MSG_FAILED)


async def test_a_slow_kakao_past_the_timeout_is_timeout(kakao, browser, make_client):
    client = make_client(timeout_seconds=0.3)
    code = await approved_code(kakao, browser, client)
    kakao.slow_seconds = 10.0
    started = time.monotonic()
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=code)
    assert time.monotonic() - started < 3.0
    assert_friendly(raised.value, "timeout", MSG_UNREACHABLE)


async def test_a_kakao_nobody_listens_on_is_unreachable(make_client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = make_client(auth_base_url=closed, api_base_url=closed)
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code="whatever")
    assert_friendly(raised.value, "unreachable", MSG_UNREACHABLE)


async def test_a_malformed_user_answer_is_malformed(kakao, browser, make_client):
    kakao.malformed_user = True
    client = make_client()
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=await approved_code(kakao, browser, client))
    assert_friendly(raised.value, "malformed", MSG_FAILED)


@pytest.mark.parametrize("kakao_id", ["4242", 4242.0, None, True, -1])
async def test_a_user_without_an_integer_id_is_malformed(kakao, browser, make_client, kakao_id):
    kakao.user = {**kakao.user, "id": kakao_id}
    client = make_client()
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=await approved_code(kakao, browser, client))
    assert_friendly(raised.value, "malformed", MSG_FAILED)


async def test_a_token_answer_without_access_token_is_malformed(kakao, browser, make_client):
    kakao.malformed_token = True
    client = make_client()
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=await approved_code(kakao, browser, client))
    assert_friendly(raised.value, "malformed", MSG_FAILED)


async def test_a_user_without_nickname_gets_the_default_and_email_with_consent(
    kakao, browser, make_client
):
    kakao.user = {
        "id": 77,
        "properties": {},
        "kakao_account": {
            "email": "minji@example.com",
            "is_email_valid": True,
            "is_email_verified": True,
        },
    }
    client = make_client()
    user = await client.login(code=await approved_code(kakao, browser, client))
    assert user == KakaoUser(
        kakao_id=77, nickname=DEFAULT_NICKNAME, profile_image="", email="minji@example.com"
    )


async def test_the_profile_of_kakao_account_is_used_and_unverified_email_dropped(
    kakao, browser, make_client
):
    kakao.user = {
        "id": 78,
        "kakao_account": {
            "profile": {"nickname": "이서준", "profile_image_url": "http://k/q.jpg"},
            "email": "seojun@example.com",
            "is_email_verified": False,
        },
    }
    client = make_client()
    user = await client.login(code=await approved_code(kakao, browser, client))
    assert user == KakaoUser(
        kakao_id=78, nickname="이서준", profile_image="http://k/q.jpg", email=None
    )


async def test_pkce_sends_the_challenge_and_the_server_checks_the_verifier(
    kakao, browser, make_client
):
    client = make_client(use_pkce=True)
    verifier, challenge = new_pkce_pair()
    url = client.authorize_url(state="s1", code_challenge=challenge)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge"] == [challenge]
    assert query["code_challenge_method"] == ["S256"]
    code = callback_params(await kakao.authorize(browser, url))["code"]
    user = await client.login(code=code, code_verifier=verifier)
    assert user.kakao_id == 4242
    assert kakao.calls_to("/oauth/token")[-1].form["code_verifier"] == verifier

    other_verifier, _ = new_pkce_pair()
    code = await approved_code(kakao, browser, client, code_challenge=challenge)
    with pytest.raises(KakaoLoginFailed) as raised:
        await client.login(code=code, code_verifier=other_verifier)
    assert_friendly(raised.value, "invalid_code", MSG_EXPIRED)


async def test_pkce_is_off_by_default_and_misuse_is_a_programming_error(make_client):
    client = make_client()
    assert not client.use_pkce
    assert "code_challenge" not in client.authorize_url(state="s")
    _, challenge = new_pkce_pair()
    with pytest.raises(ValueError):
        client.authorize_url(state="s", code_challenge=challenge)
    with pytest.raises(ValueError):
        await client.exchange_code(code="c", code_verifier="v" * 43)
    pkce = make_client(use_pkce=True)
    with pytest.raises(ValueError):
        pkce.authorize_url(state="s")
    with pytest.raises(ValueError):
        await pkce.exchange_code(code="c")
    with pytest.raises(ValueError):
        client.authorize_url(state="")


def test_new_pkce_pair_is_rfc_7636_s256():
    verifier, challenge = new_pkce_pair()
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge == expected.rstrip(b"=").decode()
    assert new_pkce_pair()[0] != verifier


async def test_a_cancelled_login_comes_back_with_access_denied(kakao, browser, make_client):
    client = make_client()
    kakao.next_decision = "cancel"
    location = await kakao.authorize(browser, client.authorize_url(state="st8"))
    assert location == (
        f"{REDIRECT_URI}?error=access_denied&error_description=User%20denied%20access&state=st8"
    )
    params = callback_params(location)
    assert cancelled_message(params["error"]) == MSG_CANCELLED == "카카오 로그인을 취소했어요."
    assert KakaoClient.cancelled_message("access_denied") == MSG_CANCELLED
    # The decision holds for one login only.
    assert "code" in callback_params(
        await kakao.authorize(browser, client.authorize_url(state="x"))
    )


def test_other_callback_errors_get_the_generic_message():
    assert cancelled_message("server_error") == MSG_FAILED
    assert cancelled_message("") == MSG_FAILED


def test_the_messages_are_the_agreed_korean():
    assert MSG_FAILED == "카카오 로그인에 실패했어요. 다시 시도해 주세요."
    assert MSG_EXPIRED == "로그인 시간이 지났어요. 다시 로그인해 주세요."
    assert MSG_UNREACHABLE == "카카오에 연결할 수 없어요. 잠시 후 다시 시도해 주세요."


async def test_an_injected_http_client_is_used_and_left_open(kakao, browser, make_client):
    async with httpx.AsyncClient() as http:
        client = make_client(http=http)
        user = await client.login(code=await approved_code(kakao, browser, client))
        assert user.kakao_id == 4242
        await client.aclose()
        assert not http.is_closed

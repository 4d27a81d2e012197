"""End to end through the gateway: Kakao login against a local Kakao server (a guest's rooms
kept), refresh rotation and reuse, logout, every refused callback, forged tokens, cross-site
requests, and services that verify the caller themselves over direct gRPC."""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import asyncpg
import grpc
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from e2e.protocol_servers import KakaoServer, callback_params
from tftkit.identity import bearer_metadata, load_signing_key, new_signing_key, sign_token
from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _start_login(browser: httpx.AsyncClient) -> str:
    """The gateway's redirect to Kakao (the state cookie is set in the browser)."""
    answer = await browser.get("/api/auth/kakao/login")
    assert answer.status_code == 302
    return answer.headers["location"]


async def _kakao_says(kakao: KakaoServer, authorize_url: str) -> str:
    async with httpx.AsyncClient() as at_kakao:
        return await kakao.authorize(at_kakao, authorize_url)


async def _back_at_gateway(browser: httpx.AsyncClient, callback: str) -> httpx.Response:
    parts = urlsplit(callback)
    return await browser.get(f"{parts.path}?{parts.query}")


async def _users(system) -> int:
    db = await asyncpg.connect(system.auth_dsn)
    try:
        return await db.fetchval("SELECT count(*) FROM users WHERE NOT is_guest")
    finally:
        await db.close()


def _login_error(answer: httpx.Response) -> str:
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["location"]).query).get("login_error", [""])[0]


async def test_a_guest_logs_in_keeps_the_rooms_refreshes_and_logs_out(system, kakao):
    kakao.user = {"id": 777001, "properties": {"nickname": "김하늘", "profile_image": ""}}
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as browser:
        room = (await browser.post("/api/chat/rooms")).json()["data"]
        guest = (await browser.get("/api/auth/me")).json()["data"]
        assert guest["is_guest"] is True

        callback = await _kakao_says(kakao, await _start_login(browser))
        landed = await _back_at_gateway(browser, callback)
        assert landed.status_code == 302 and landed.headers["location"] == "/"
        cookies = landed.headers.get_list("set-cookie")
        assert any(
            c.startswith("tft_access=") and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies
        )
        assert any(c.startswith("tft_refresh=") and "Path=/api/auth" in c for c in cookies)

        me = (await browser.get("/api/auth/me")).json()["data"]
        assert me["is_guest"] is False and me["nickname"] == "김하늘"
        assert me["userId"] == me["user_id"] != guest["user_id"]
        history = (await browser.get("/api/chat/rooms/history")).json()["data"]["all_rooms"]
        assert [r["id"] for r in history] == [room["id"]]

        # Refresh rotates; the old refresh token presented again revokes the whole family.
        old_refresh = browser.cookies.get("tft_refresh", path="/api/auth")
        assert (await browser.post("/api/auth/refresh")).status_code == 200
        assert browser.cookies.get("tft_refresh", path="/api/auth") != old_refresh
        async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as thief:
            thief.cookies.set("tft_refresh", old_refresh, path="/api/auth")
            assert (await thief.post("/api/auth/refresh")).status_code == 401
        assert (await browser.post("/api/auth/refresh")).status_code == 401

        # Log in again (a new family), then log out: cookies cleared, refresh refused.
        landed = await _back_at_gateway(
            browser, await _kakao_says(kakao, await _start_login(browser))
        )
        assert _login_error(landed) == ""
        refresh = browser.cookies.get("tft_refresh", path="/api/auth")
        assert (await browser.post("/api/auth/logout")).status_code == 200
        assert (await browser.get("/api/auth/me")).status_code == 401
        async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as replay:
            replay.cookies.set("tft_refresh", refresh, path="/api/auth")
            assert (await replay.post("/api/auth/refresh")).status_code == 401
    assert await _users(system) == 1


async def test_a_replayed_callback_keeps_one_copy_and_another_browser_takes_nothing(system, kakao):
    kakao.user = {"id": 777002, "properties": {"nickname": "이바다"}}
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as first,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as second,
    ):
        mine = (await first.post("/api/chat/rooms")).json()["data"]
        theirs = (await second.post("/api/chat/rooms")).json()["data"]
        callback = await _kakao_says(kakao, await _start_login(first))
        assert _login_error(await _back_at_gateway(first, callback)) == ""
        # The same callback again (the state was used): refused, nothing moves twice.
        assert _login_error(await _back_at_gateway(first, callback))
        rooms = (await first.get("/api/chat/rooms/history")).json()["data"]["all_rooms"]
        assert [r["id"] for r in rooms] == [mine["id"]]
        # The same account from the second browser: the first browser's guest rooms were the
        # account's already; the second browser's guest rooms join, nobody else's.
        callback = await _kakao_says(kakao, await _start_login(second))
        assert _login_error(await _back_at_gateway(second, callback)) == ""
        rooms = (await second.get("/api/chat/rooms/history")).json()["data"]["all_rooms"]
        assert sorted(r["id"] for r in rooms) == sorted([mine["id"], theirs["id"]])


async def test_refused_callbacks_say_why_and_create_no_one(system, kakao):
    kakao.user = {"id": 777003, "properties": {"nickname": "거절"}}
    before = await _users(system)
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as browser,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as attacker,
    ):
        # A state made for another browser (login CSRF): this browser has no such state.
        callback = await _kakao_says(kakao, await _start_login(attacker))
        assert "로그인" in _login_error(await _back_at_gateway(browser, callback))
        # No state at all.
        code = callback_params(callback)["code"]
        assert _login_error(await browser.get(f"/api/auth/kakao/callback?code={code}"))
        # The person cancels on Kakao's screen.
        kakao.next_decision = "cancel"
        cancelled = await _back_at_gateway(
            browser, await _kakao_says(kakao, await _start_login(browser))
        )
        assert _login_error(cancelled) == "카카오 로그인을 취소했어요."
        # Kakao refuses the code (already used by the attacker's own callback below).
        callback = await _kakao_says(kakao, await _start_login(browser))
        assert _login_error(await _back_at_gateway(browser, callback)) == ""
        await browser.post("/api/auth/logout")
        replayed = callback_params(callback)
        fresh = await _start_login(browser)
        state = parse_qs(urlsplit(fresh).query)["state"][0]
        used = await browser.get(f"/api/auth/kakao/callback?code={replayed['code']}&state={state}")
        message = _login_error(used)
        assert message and "KOE" not in message
    assert await _users(system) == before + 1


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _hmac_token(claims: dict, secret: bytes, kid: str) -> str:
    """An HS256 token keyed with the public key (pyjwt itself refuses to make one)."""
    body = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}".encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    return body.decode() + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


async def test_forged_tokens_are_refused_by_the_gateway_and_by_each_service(system, kakao):
    now = int(time.time())
    claims = {
        "iss": "thefirsttake-auth",
        "aud": "thefirsttake",
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": "x",
    }
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as victim:
        room = (await victim.post("/api/chat/rooms")).json()["data"]
        victim_id = (await victim.get("/api/auth/me")).json()["data"]["user_id"]
        kakao.user = {"id": 777010, "properties": {"nickname": "토큰"}}
        await _back_at_gateway(victim, await _kakao_says(kakao, await _start_login(victim)))
        real = victim.cookies.get("tft_access")
        refresh = victim.cookies.get("tft_refresh", path="/api/auth")
    # The system's own key (a test may read it; an attacker would have only the public half).
    key = load_signing_key(system.env["AUTH_SIGNING_KEY"])
    kid = jwt.get_unverified_header(real)["kid"]
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    mine = {**claims, "sub": victim_id}
    head, body, signature = real.split(".")
    tampered_body = json.loads(base64.urlsafe_b64decode(body + "=="))
    tampered_body["sub"] = "someone-else"
    forged = {
        "alg_none": f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(mine)}.",
        "hs256_with_the_public_key": _hmac_token(mine, public_pem, kid),
        "tampered": f"{head}.{_b64(tampered_body)}.{signature}",
        "expired": jwt.encode(
            {**mine, "iat": now - 1000, "exp": now - 10},
            key,
            algorithm="EdDSA",
            headers={"kid": kid},
        ),
        "other_audience": jwt.encode(
            {**mine, "aud": "another-app"}, key, algorithm="EdDSA", headers={"kid": kid}
        ),
        "refresh_as_access": refresh,
        "foreign_key": sign_token(
            private_key=load_signing_key(new_signing_key()),
            user_id=victim_id,
            token_type="access",
            ttl_seconds=600,
        ),
        "garbage": "not.a.token",
    }
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as holder:
        holder.cookies.set("tft_access", real)  # the genuine token opens the room
        assert (await holder.get(f"/api/chat/rooms/{room['id']}/messages")).status_code == 200
    for name, token in forged.items():
        async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as forger:
            forger.cookies.set("tft_access", token)
            answer = await forger.get(f"/api/chat/rooms/{room['id']}/messages")
            assert answer.status_code == 401, name
    # Straight to chat-service's port: a bare user id, or a token not signed by auth-service.
    address = f"127.0.0.1:{system.env['CHAT_PORT']}"
    async with grpc.aio.insecure_channel(address) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        for metadata in ((("x-user-id", victim_id),), bearer_metadata(forged["foreign_key"])):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=metadata, timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # A real token of someone else (another guest): the room does not exist for them.
        async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as other:
            await other.post("/api/chat/rooms")
            other_token = other.cookies.get("tft_guest")
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await stub.ListMessages(
                chat_pb2.ListMessagesRequest(room_id=str(room["id"])),
                metadata=bearer_metadata(other_token),
                timeout=5,
            )
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


async def test_cross_site_writes_are_refused(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as browser:
        evil = await browser.post("/api/chat/rooms", headers={"Origin": "http://evil.test"})
        assert evil.status_code == 403 and evil.json()["status"] == "fail"
        same = await browser.post("/api/chat/rooms", headers={"Origin": system.base_url})
        assert same.status_code == 201
        assert (
            await browser.post("/api/chat/rooms")
        ).status_code == 201  # no Origin: not a browser page


async def test_a_guests_things_are_nobody_elses_over_http_and_grpc(system, kakao):
    from e2e.protocol_servers import astronaut, encoded
    from thefirsttake.fitting.v1 import fitting_pb2, fitting_pb2_grpc

    db = await asyncpg.connect(system.product_dsn)
    try:
        top = await db.fetchval("SELECT min(product_id) FROM products WHERE main_category = 'TOP'")
    finally:
        await db.close()
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=120) as guest_a,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as guest_b,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as user_c,
    ):
        room = (await guest_a.post("/api/chat/rooms")).json()["data"]
        photo = encoded(astronaut())
        upload = (
            await guest_a.post("/api/chat/upload", files={"file": ("me.jpg", photo, "image/jpeg")})
        ).json()["data"]
        tried = (
            await guest_a.post(
                "/api/fitting/try-on",
                files={"model_image": ("me.jpg", photo, "image/jpeg")},
                data={"upper_product_id": top},
            )
        ).json()["data"]
        await guest_b.post("/api/chat/rooms")
        kakao.user = {"id": 777009, "properties": {"nickname": "세번째"}}
        landed = await _back_at_gateway(
            user_c, await _kakao_says(kakao, await _start_login(user_c))
        )
        assert _login_error(landed) == ""
        paths = (
            f"/api/chat/rooms/{room['id']}/messages",
            urlsplit(upload).path,
            urlsplit(tried["download_url"]).path,
            f"/api/fitting/status/{tried['task_id']}",
        )
        for other in (guest_b, user_c):
            for path in paths:
                assert (await other.get(path)).status_code == 404, path
        # The same over gRPC, straight to the services, with C's own valid token.
        c_token = user_c.cookies.get("tft_access")
        c = bearer_metadata(c_token)
        upload_id = urlsplit(upload).path.rsplit("/", 1)[-1]
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{system.env['CHAT_PORT']}") as chat,
            grpc.aio.insecure_channel(f"127.0.0.1:{system.env['FITTING_PORT']}") as fitting,
        ):
            calls = (
                chat_pb2_grpc.ChatServiceStub(chat).ListMessages(
                    chat_pb2.ListMessagesRequest(room_id=str(room["id"])), metadata=c, timeout=5
                ),
                chat_pb2_grpc.ChatServiceStub(chat).GetUpload(
                    chat_pb2.GetUploadRequest(upload_id=upload_id), metadata=c, timeout=5
                ),
                fitting_pb2_grpc.FittingServiceStub(fitting).GetTaskResult(
                    fitting_pb2.GetTaskRequest(task_id=tried["task_id"]), metadata=c, timeout=5
                ),
            )
            for call in calls:
                with pytest.raises(grpc.aio.AioRpcError) as hidden:
                    await call
                assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

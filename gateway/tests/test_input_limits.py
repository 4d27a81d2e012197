"""What the gateway refuses before any service sees it: text that breaks tftkit.text's rule
(422 with a message that says what is wrong, Korean and English, in the error envelope), and
bodies or uploads over their limits (413, cut off as they arrive). The services are stand-ins
that record what reached them."""

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from gateway.app import create_app
from gateway.body_limits import BodyLimitMiddleware
from gateway.deps import current_user, get_clients, known_user
from gateway.errors import ApiError
from gateway.schemas import ErrorEnvelope
from gateway.settings import GatewaySettings
from tftkit.identity import Identity
from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.expert.v1 import expert_pb2

UPLOAD_LIMIT = 100_000
REQUEST_LIMIT = 200_000
DECOMPOSED = "\u1100\u1161\u11ab"  # 간, as a Mac's keyboard may send it
CALLER = Identity(user_id="user-1", is_guest=True, token="token")


class RecordingClients:
    """The downstream calls the routes below make, recorded instead of sent."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.calls: list[tuple[str, Any]] = []

    def stream_turn(self, caller: Identity, request: chat_pb2.StreamTurnRequest):
        self.calls.append(("stream_turn", request))
        raise ApiError(404, "room not found")

    async def send_message(self, caller: Identity, request: chat_pb2.SendMessageRequest):
        self.calls.append(("send_message", request))
        return chat_pb2.SendMessageResponse(room_id="1", message_id="2")

    async def put_profile(self, caller: Identity, profile: expert_pb2.StyleProfile):
        self.calls.append(("put_profile", profile))
        return profile

    async def upload_image(self, caller: Identity, content: bytes, filename: str):
        self.calls.append(("upload_image", content))
        return chat_pb2.UploadImageResponse(upload_id="abc", content_type="image/png")


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(max_upload_bytes=UPLOAD_LIMIT, max_request_bytes=REQUEST_LIMIT)


@pytest.fixture
def clients(settings: GatewaySettings) -> RecordingClients:
    return RecordingClients(settings)


@pytest.fixture
def app(settings: GatewaySettings, clients: RecordingClients) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[get_clients] = lambda: clients
    app.dependency_overrides[current_user] = lambda: CALLER
    app.dependency_overrides[known_user] = lambda: CALLER
    return app


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    # No lifespan: the routes use the recording clients only.
    yield TestClient(app)


def refusal(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return ErrorEnvelope.model_validate(answer.json()).message


BAD_TEXT = [
    ("a\x00b", "제어 문자"),
    ("니트\x1b[0m", "제어 문자"),
    ("\x7f", "제어 문자"),
    ("끝\u0085", "제어 문자"),
]


@pytest.mark.parametrize(("text", "korean"), BAD_TEXT)
@pytest.mark.parametrize(
    "path", ["/api/chat/rooms/messages/stream", "/api/chat/rooms/7/messages/stream"]
)
def test_a_streamed_turn_with_a_control_character_is_422(http, clients, path, text, korean):
    message = refusal(http.get(path, params={"user_input": text}), 422)
    assert message.startswith("user_input: ") and korean in message
    assert "control characters are not allowed" in message
    assert not clients.calls


@pytest.mark.parametrize(("text", "korean"), BAD_TEXT)
def test_a_sent_message_with_a_control_character_is_422(http, clients, text, korean):
    answer = http.post("/api/chat/send", params={"roomId": "7"}, json={"content": text})
    message = refusal(answer, 422)
    assert message.startswith("content: ") and korean in message
    assert not clients.calls


def test_an_image_url_with_a_control_character_is_422(http, clients):
    answer = http.post(
        "/api/chat/send",
        params={"roomId": "7"},
        json={"content": "이 옷 어때?", "image_url": "http://x/a\x00.png"},
    )
    assert refusal(answer, 422).startswith("image_url: ")
    assert not clients.calls


def test_a_lone_surrogate_is_422_with_a_clear_message(http, clients):
    # Only a JSON escape can carry one; it cannot be encoded as UTF-8 for any service.
    answer = http.post(
        "/api/chat/send",
        params={"roomId": "7"},
        content=b'{"content": "\\ud800 hi"}',
        headers={"content-type": "application/json"},
    )
    message = refusal(answer, 422)
    assert message.startswith("content: ") and "lone surrogate" in message
    assert not clients.calls


def test_length_is_counted_after_normalising(http, clients):
    # 2,000 syllables sent decomposed (6,000 code points): taken, and sent on composed.
    answer = http.post(
        "/api/chat/send", params={"roomId": "7"}, json={"content": DECOMPOSED * 2000}
    )
    assert answer.status_code == 200, answer.text
    (_, sent), *_ = clients.calls
    assert sent.content == "간" * 2000
    answer = http.get("/api/chat/rooms/messages/stream", params={"user_input": DECOMPOSED * 3})
    assert answer.status_code == 404
    assert clients.calls[-1][1].user_input == "간간간"
    # One character over once composed: refused.
    for answer in (
        http.post("/api/chat/send", params={"roomId": "7"}, json={"content": "간" * 2001}),
        http.get("/api/chat/rooms/messages/stream", params={"user_input": "간" * 2001}),
    ):
        assert "at most 2000 characters" in refusal(answer, 422)
    assert len(clients.calls) == 2


def test_tabs_and_newlines_are_text(http, clients):
    answer = http.post(
        "/api/chat/send", params={"roomId": "7"}, json={"content": "상의:\t니트\r\n하의:\t슬랙스"}
    )
    assert answer.status_code == 200
    assert clients.calls[0][1].content == "상의:\t니트\r\n하의:\t슬랙스"


def test_profile_words_are_cleaned_not_refused(http, clients):
    answer = http.put(
        "/api/profile",
        content=json.dumps(
            {"body_type": "어깨가\x00 넓은 편", "likes": ["네\ud800이비", f"{DECOMPOSED}\x07"]}
        ).encode(),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    ((_, profile),) = clients.calls
    assert profile.body_type == "어깨가 넓은 편"
    assert list(profile.likes) == ["네이비", "간"]
    too_long = http.put("/api/profile", json={"likes": ["가" * 201]})
    assert "at most 200 characters" in refusal(too_long, 422)


def test_the_schema_states_the_rule(app: FastAPI):
    schema = app.openapi()
    send = schema["components"]["schemas"]["SendBody"]["properties"]["content"]
    assert send["maxLength"] == 2000 and "\\x00-\\x08" in send["pattern"]
    stream = schema["paths"]["/api/chat/rooms/messages/stream"]["get"]["parameters"]
    user_input = next(p for p in stream if p["name"] == "user_input")["schema"]
    assert user_input["pattern"] == send["pattern"]


# Bodies and uploads over their limits.


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return out.getvalue()


def test_an_upload_at_the_limit_is_taken_and_one_byte_more_is_413(http, clients):
    at_limit = png().ljust(UPLOAD_LIMIT, b"\x00")
    answer = http.post("/api/chat/upload", files={"file": ("a.png", at_limit, "image/png")})
    assert answer.status_code == 200, answer.text
    assert clients.calls == [("upload_image", at_limit)]
    over = at_limit + b"\x00"
    answer = http.post("/api/chat/upload", files={"file": ("a.png", over, "image/png")})
    message = refusal(answer, 413)
    assert "사진이 너무 커요" in message and "file too large" in message
    assert len(clients.calls) == 1


def test_a_body_declared_over_the_cap_is_413_and_reaches_no_route(http, clients):
    answer = http.post(
        "/api/chat/send",
        params={"roomId": "7"},
        content=b"{" + b" " * REQUEST_LIMIT + b"}",
        headers={"content-type": "application/json"},
    )
    assert "request body too large" in refusal(answer, 413)
    assert not clients.calls


class _Upload:
    """An ASGI request for /api/chat/upload whose multipart body arrives in chunks, as a client
    sends it, counting how much of it was read."""

    def __init__(self, file_bytes: int, *, chunk: int = 16 * 1024, headers: tuple = ()) -> None:
        boundary = "tftboundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        self.body = head + b"\x00" * file_bytes + f"\r\n--{boundary}--\r\n".encode()
        self.chunk = chunk
        self.read = 0
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/chat/upload",
            "raw_path": b"/api/chat/upload",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
                *headers,
            ],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
            "state": {},
        }
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.answer = b""

    def declared(self) -> "_Upload":
        self.scope["headers"].append((b"content-length", str(len(self.body)).encode()))
        return self

    async def receive(self) -> dict[str, Any]:
        if self.read >= len(self.body):
            await asyncio.sleep(3600)  # the client waits for an answer
        piece = self.body[self.read : self.read + self.chunk]
        self.read += len(piece)
        return {"type": "http.request", "body": piece, "more_body": self.read < len(self.body)}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = dict(message["headers"])
        elif message["type"] == "http.response.body":
            self.answer += message.get("body", b"")

    async def to(self, app: Any) -> None:
        await asyncio.wait_for(app(self.scope, self.receive, self.send), timeout=10)


class _FormReader:
    """Behind the middleware: parses the form as the routes do (Starlette's parser, which
    spools files to temporary files), counting the bytes that reached it."""

    def __init__(self) -> None:
        self.received = 0

    async def __call__(self, scope, receive, send) -> None:
        async def counted() -> dict[str, Any]:
            message = await receive()
            self.received += len(message.get("body", b""))
            return message

        form = await Request(scope, counted).form()
        await form.close()
        await PlainTextResponse("read")(scope, receive, send)


async def test_the_form_parser_never_gets_more_of_a_file_than_the_limit():
    reader = _FormReader()
    guarded = BodyLimitMiddleware(
        reader, max_request_bytes=100 * REQUEST_LIMIT, max_upload_bytes=UPLOAD_LIMIT
    )
    upload = _Upload(10 * UPLOAD_LIMIT)
    await upload.to(guarded)
    assert upload.status == 413
    assert "file too large" in json.loads(upload.answer)["message"]
    # The chunk that crosses the limit is refused before the parser sees it.
    assert reader.received <= UPLOAD_LIMIT
    # The rest was read (and dropped), so the client gets to read the answer.
    assert upload.read == len(upload.body)
    # A file of exactly the limit goes through.
    at_limit = _Upload(UPLOAD_LIMIT)
    await at_limit.to(guarded)
    assert at_limit.status == 200


async def test_an_oversized_file_is_a_413_envelope_and_reaches_no_service(app, clients):
    # Chunked (no Content-Length), ten times the limit.
    upload = _Upload(10 * UPLOAD_LIMIT)
    await upload.to(app)
    assert upload.status == 413
    assert "file too large" in json.loads(upload.answer)["message"]
    assert not clients.calls


async def test_a_chunked_body_over_the_request_cap_is_a_413(app, clients):
    upload = _Upload(10 * REQUEST_LIMIT, chunk=64 * 1024)
    await upload.to(app)
    # Past the file limit and the request cap in the same chunk: either refusal is a 413.
    assert upload.status == 413
    assert not clients.calls


async def test_a_declared_oversized_body_is_refused_from_its_length(app, clients):
    # A client that asked to be told first sends nothing: nothing is read.
    waiting = _Upload(10 * REQUEST_LIMIT, headers=((b"expect", b"100-continue"),)).declared()
    await waiting.to(app)
    assert waiting.status == 413 and waiting.read == 0
    assert waiting.headers[b"connection"] == b"close"
    assert "request body too large" in json.loads(waiting.answer)["message"]
    # One already sending is drained (nothing kept), so it reads the answer.
    sending = _Upload(10 * REQUEST_LIMIT).declared()
    await sending.to(app)
    assert sending.status == 413 and sending.read == len(sending.body)
    assert not clients.calls


def test_the_request_cap_must_leave_room_for_an_upload():
    with pytest.raises(ValueError, match="MAX_REQUEST_BYTES"):
        GatewaySettings(max_upload_bytes=UPLOAD_LIMIT, max_request_bytes=UPLOAD_LIMIT)


class _Exhausted(grpc.aio.AioRpcError):
    def __init__(self, trailing: tuple[tuple[str, str], ...]) -> None:
        super().__init__(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(*trailing),
            details="사진을 너무 자주 올렸어요.",
        )


@pytest.mark.parametrize(
    ("trailing", "status"),
    [((("retry-after", "17"),), 429), ((), 413)],
    ids=["rate-limited", "over-chat-service-message-cap"],
)
def test_an_upload_chat_service_refuses_for_size_or_rate(http, clients, trailing, status):
    async def refused(caller, content, filename):
        raise _Exhausted(trailing)

    clients.upload_image = refused
    answer = http.post("/api/chat/upload", files={"file": ("a.png", png(), "image/png")})
    message = refusal(answer, status)
    if status == 429:
        assert answer.headers["retry-after"] == "17" and "너무 자주" in message
    else:
        assert "file too large" in message

"""The OpenAPI schema is the truth about every answer: each operation documents its success and
its errors, every JSON answer has a schema (errors the ErrorEnvelope, never FastAPI's default
validation error), event streams and pictures say their content types, and the models match
what the code puts on the wire."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import URL

from gateway.app import create_app
from gateway.errors import fail
from gateway.routes import auth, chat, fitting
from gateway.schemas import (
    DOWNSTREAM,
    Envelope,
    ErrorEnvelope,
    MeData,
    RoomData,
    TryOnData,
    TurnEventEnvelope,
    error_responses,
)
from gateway.settings import GatewaySettings
from gateway.sse import error_event, event_payload
from thefirsttake.auth.v1 import auth_pb2
from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.common.v1 import common_pb2
from thefirsttake.fitting.v1 import fitting_pb2

_ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_UNSAFE = {"post", "put", "patch", "delete"}
SSE_OPERATIONS = {
    ("get", "/api/chat/rooms/{room_id}/messages/stream"),
    ("get", "/api/chat/rooms/messages/stream"),
}
IMAGE_OPERATIONS = {
    ("get", "/api/chat/uploads/{upload_id}"),
    ("get", "/api/fitting/result/{task_id}"),
    ("get", "/api/fitting/proxy-image"),
    ("get", "/media/{key}"),
}
REDIRECT_OPERATIONS = {("get", "/api/auth/kakao/login"), ("get", "/api/auth/kakao/callback")}
# Answers whose JSON is not an envelope: the health check has its own shape, also when DOWN.
OWN_ERROR_SHAPES = {("get", "/actuator/health", "503")}
HOW_TO_FIX = "declare it with gateway.schemas.error_responses(...)"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings())


@pytest.fixture(scope="module")
def schema(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_schema_covers_every_api_route(schema: dict[str, Any]) -> None:
    found = {(method, path) for method, path, _ in operations(schema)}
    expected = SSE_OPERATIONS | IMAGE_OPERATIONS | REDIRECT_OPERATIONS
    assert expected <= found, sorted(expected - found)


def test_every_operation_declares_a_success_and_an_error(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        codes = {int(code) for code in operation["responses"]}
        assert any(200 <= code < 400 for code in codes), (method, path, codes)
        assert any(code >= 400 for code in codes), (method, path, codes, HOW_TO_FIX)


def test_every_json_answer_has_a_schema(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        for code, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                if media_type == "application/json":
                    assert content.get("schema"), (method, path, code)


def test_every_error_is_the_error_envelope(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        for code, response in operation["responses"].items():
            if int(code) < 400 or (method, path, code) in OWN_ERROR_SHAPES:
                continue
            assert response["content"] == {"application/json": {"schema": _ERROR_REF}}, (
                method,
                path,
                code,
                HOW_TO_FIX,
            )


def test_validation_errors_are_documented_as_the_envelope(schema: dict[str, Any]) -> None:
    # FastAPI's own 422 schema (HTTPValidationError) is not what our handler answers.
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert not [ref for ref in _refs(schema) if ref.endswith("/HTTPValidationError")]
    for method, path, operation in operations(schema):
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], (method, path, HOW_TO_FIX)


def test_every_unsafe_operation_declares_the_cross_site_refusal(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        if method in _UNSAFE:
            assert "403" in operation["responses"], (method, path)


def test_operations_that_call_a_service_declare_its_failures(schema: dict[str, Any]) -> None:
    local = {("get", "/actuator/health"), ("get", "/actuator/prometheus"), ("get", "/media/{key}")}
    for method, path, operation in operations(schema):
        if (method, path) not in local:
            assert {str(code) for code in DOWNSTREAM} <= operation["responses"].keys(), (
                method,
                path,
            )


def test_event_streams_declare_their_events(schema: dict[str, Any]) -> None:
    for method, path in SSE_OPERATIONS:
        success = schema["paths"][path][method]["responses"]["200"]
        assert list(success["content"]) == ["text/event-stream"]
        event = success["content"]["text/event-stream"]["itemSchema"]
        assert event["properties"]["data"]["contentSchema"] == {
            "$ref": "#/components/schemas/TurnEventEnvelope"
        }


def test_picture_routes_declare_image_content_types(schema: dict[str, Any]) -> None:
    for method, path in IMAGE_OPERATIONS:
        content = schema["paths"][path][method]["responses"]["200"]["content"]
        assert content and all(media_type.startswith("image/") for media_type in content), path


def test_redirects_metrics_and_health(schema: dict[str, Any]) -> None:
    for method, path in REDIRECT_OPERATIONS:
        responses = schema["paths"][path][method]["responses"]
        assert "302" in responses and "content" not in responses["302"], path
        assert not any(200 <= int(code) < 300 for code in responses), path
    prometheus = schema["paths"]["/actuator/prometheus"]["get"]["responses"]["200"]
    assert list(prometheus["content"]) == ["text/plain"]
    health = schema["paths"]["/actuator/health"]["get"]["responses"]
    for code in ("200", "503"):
        assert health[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Health"
        }


def test_every_reference_resolves(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for ref in set(_refs(schema)):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in components, ref


def test_links_point_at_operations(schema: dict[str, Any]) -> None:
    found = 0
    for _, _, operation in operations(schema):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                _, _, path, method = link["operationRef"].split("/")
                assert method in schema["paths"][path.replace("~1", "/").replace("~0", "~")]
                found += 1
    assert found >= 6


def test_error_responses_refuse_codes_without_a_meaning() -> None:
    with pytest.raises(ValueError):
        error_responses(418)
    assert set(error_responses(404)) == {404, 500}


def _envelope_of(answer: Any) -> ErrorEnvelope:
    assert answer.headers["content-type"].startswith("application/json")
    return ErrorEnvelope.model_validate(answer.json())


def test_error_handlers_answer_the_error_envelope(app: FastAPI) -> None:
    # No cookies: the routes below never reach a service.
    with TestClient(app) as client:
        invalid = client.get("/api/chat/rooms/not-a-room/messages")
        assert invalid.status_code == 422
        assert "room_id" in _envelope_of(invalid).message
        assert client.get("/api/chat/receive").status_code == 422
        cross_site = client.post("/api/chat/rooms", headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403
        _envelope_of(cross_site)
        unknown = client.get("/api/nothing-here")
        assert unknown.status_code == 404
        _envelope_of(unknown)


def test_turn_events_match_their_schema() -> None:
    product = common_pb2.ProductRef(product_id="12", product_url="http://x/12.png")
    events = [
        chat_pb2.TurnEvent(room=chat_pb2.RoomCreated(room_id="7")),
        chat_pb2.TurnEvent(connect=chat_pb2.Connected(room_id="7")),
        chat_pb2.TurnEvent(
            content=chat_pb2.ContentDelta(agent_id="a", agent_name="A", message="네이비")
        ),
        chat_pb2.TurnEvent(
            complete=chat_pb2.ExpertComplete(
                agent_id="a", agent_name="A", agent_role="r", message="끝", products=[product]
            )
        ),
        chat_pb2.TurnEvent(final_complete=chat_pb2.TurnComplete(message="끝", total_experts=3)),
        chat_pb2.TurnEvent(error=chat_pb2.TurnError(agent_id="a", message="시간 초과")),
    ]
    for event in events:
        name, payload = event_payload(event)
        assert TurnEventEnvelope.model_validate(payload).data.type == name
    broken = error_event("upstream service failed")
    TurnEventEnvelope.model_validate_json(broken["data"])


class _Request:
    """Just enough of a request for building a result URL."""

    def url_for(self, name: str, **params: str) -> URL:
        return URL(f"http://gateway/api/fitting/result/{params['task_id']}")


@pytest.mark.parametrize("status", list(fitting_pb2.TaskStatus.values()))
def test_try_on_data_matches_its_schema(status: int) -> None:
    task = fitting_pb2.TryOnTask(task_id="t1", status=status, progress=40, error="")
    data = fitting._task_data(_Request(), task, "메시지")  # type: ignore[arg-type]
    Envelope[TryOnData].model_validate({"status": "success", "message": "m", "data": data})


def test_auth_chat_and_error_bodies_match_their_schemas() -> None:
    me = auth._me(auth_pb2.User(user_id="u1", nickname="n", profile_image="", is_guest=True))
    MeData.model_validate(me)
    RoomData.model_validate(chat._room(chat_pb2.Room(id="3", title="t", created_at="2026")))
    ErrorEnvelope.model_validate_json(fail(404, "room not found").body)


def test_models_forbid_undeclared_fields() -> None:
    # A field the schema does not name must fail the response validation, not slip through.
    for model in (ErrorEnvelope, RoomData, TryOnData, TurnEventEnvelope):
        assert model.model_config.get("extra") == "forbid", model

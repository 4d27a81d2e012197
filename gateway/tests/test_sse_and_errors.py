"""SSE payloads as SPEC.md §3 names them, and gRPC failures as HTTP answers."""

import grpc
import pytest

from gateway.errors import api_error_from_rpc
from gateway.sse import event_payload
from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.common.v1 import common_pb2


def test_complete_event_carries_agent_message_and_products():
    event = chat_pb2.TurnEvent(
        event_id="t:1-0",
        timestamp_ms=1764000000000,
        complete=chat_pb2.ExpertComplete(
            agent_id="color_expert",
            agent_name="컬러 전문가",
            message="네이비 니트에 베이지 슬랙스",
            products=[
                common_pb2.ProductRef(
                    product_id="12", product_url="http://x/12.png", reason="핏이 단정해요."
                )
            ],
        ),
    )
    name, payload = event_payload(event)
    assert name == "complete"
    assert payload["status"] == "success"
    data = payload["data"]
    assert data["type"] == "complete" and data["timestamp"] == 1764000000000
    assert data["agent_id"] == "color_expert" and data["message"].startswith("네이비")
    assert data["products"] == [
        {"product_url": "http://x/12.png", "product_id": "12", "reason": "핏이 단정해요."}
    ]


def test_connect_final_and_room_events():
    _, connect = event_payload(chat_pb2.TurnEvent(connect=chat_pb2.Connected(room_id="3")))
    assert connect["data"]["message"] == "SSE 연결 성공"
    _, final = event_payload(
        chat_pb2.TurnEvent(final_complete=chat_pb2.TurnComplete(message="끝", total_experts=3))
    )
    assert final["data"]["total_experts"] == 3 and final["data"]["type"] == "final_complete"
    _, room = event_payload(chat_pb2.TurnEvent(room=chat_pb2.RoomCreated(room_id="7")))
    assert room["data"]["room_id"] == "7"


def test_error_event_is_a_fail_envelope():
    name, payload = event_payload(
        chat_pb2.TurnEvent(error=chat_pb2.TurnError(agent_id="trend_expert", message="시간 초과"))
    )
    assert name == "error"
    assert payload["status"] == "fail" and payload["message"] == "시간 초과"
    assert payload["data"]["agent_id"] == "trend_expert"


class _RpcError(grpc.aio.AioRpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (grpc.StatusCode.NOT_FOUND, 404, "room not found"),
        (grpc.StatusCode.INVALID_ARGUMENT, 400, "room not found"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429, "room not found"),
        (grpc.StatusCode.UNAVAILABLE, 503, "service temporarily unavailable"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504, "upstream service timed out"),
        (grpc.StatusCode.INTERNAL, 502, "upstream service failed"),
        (grpc.StatusCode.UNKNOWN, 502, "upstream service failed"),
    ],
)
def test_rpc_errors_map_to_http_without_leaking_server_details(code, status, message):
    details = "room not found" if status < 500 else "connect to 10.1.2.3:5432 failed"
    error = api_error_from_rpc(_RpcError(code, details))
    assert (error.status_code, error.message) == (status, message)

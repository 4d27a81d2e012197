"""Operations: health of every service, Prometheus metrics, the seed's API-doc paths."""

import asyncio

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.deps import ClientsDep
from gateway.schemas import Health, error_responses

router = APIRouter(tags=["operations"])


async def _service_status(channel: grpc.aio.Channel) -> str:
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=1.0
        )
    except grpc.aio.AioRpcError:
        return "DOWN"
    return "UP" if response.status == health_pb2.HealthCheckResponse.SERVING else "DOWN"


@router.get(
    "/actuator/health",
    summary="UP when every downstream service is SERVING",
    response_model=Health,
    responses={
        503: {"model": Health, "description": "a downstream service is not SERVING"},
        **error_responses(),
    },
)
async def health(clients: ClientsDep) -> JSONResponse:
    names = list(clients.channels)
    states = await asyncio.gather(*(_service_status(clients.channels[n]) for n in names))
    components = dict(zip(names, states, strict=True))
    up = all(state == "UP" for state in states)
    return JSONResponse(
        {"status": "UP" if up else "DOWN", "components": components}, status_code=200 if up else 503
    )


@router.get(
    "/actuator/prometheus",
    summary="Prometheus metrics of the gateway",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "the text exposition format"},
        **error_responses(),
    },
)
async def prometheus() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/swagger-ui.html", include_in_schema=False)
async def swagger_ui() -> RedirectResponse:
    return RedirectResponse("/docs")


@router.get("/v3/api-docs", include_in_schema=False)
async def api_docs(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())

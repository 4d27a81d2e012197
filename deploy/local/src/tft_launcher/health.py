"""Readiness probes: the standard gRPC health service and the gateway's HTTP health."""

from collections.abc import Awaitable, Callable

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

Probe = Callable[[], Awaitable[bool]]


async def grpc_serving(address: str, *, service: str = "", deadline: float = 2.0) -> bool:
    """True when `address` answers grpc.health.v1 Check with SERVING."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=deadline
            )
        except (TimeoutError, grpc.aio.AioRpcError):
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def http_ok(url: str, *, deadline: float = 2.0) -> bool:
    """True when GET `url` answers 2xx."""
    try:
        async with httpx.AsyncClient(timeout=deadline, trust_env=False) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        return False
    return response.is_success


def grpc_probe(address: str, *, deadline: float = 2.0) -> Probe:
    return lambda: grpc_serving(address, deadline=deadline)


def http_probe(url: str, *, deadline: float = 2.0) -> Probe:
    return lambda: http_ok(url, deadline=deadline)

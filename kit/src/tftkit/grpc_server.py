"""gRPC server bootstrap: health, reflection, error hygiene, metrics and graceful shutdown."""

import asyncio
import inspect
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from tftkit.identity import InvalidIdentity, TokenVerifier, bearer_token, set_caller
from tftkit.metrics import GRPC_DURATION, GRPC_HANDLED

log = logging.getLogger(__name__)

GENERIC_ERROR = "internal error"


class _ErrorAndMetricsInterceptor(grpc.aio.ServerInterceptor):
    """Times every unary and server-streaming RPC, hides unexpected exceptions, and verifies
    the caller's token (when the call carries one) before the handler runs.

    Without it grpc.aio answers UNKNOWN with the exception text, which can leak internals.
    """

    def __init__(self, verifier: TokenVerifier | None) -> None:
        self._verifier = verifier

    async def intercept_service(
        self, continuation: Callable, details: grpc.HandlerCallDetails
    ) -> Any:
        handler = await continuation(details)
        if handler is None:
            return None
        method = details.method
        if handler.unary_unary is not None:
            inner = handler.unary_unary
            return handler._replace(unary_unary=_wrap_unary(method, inner, self._verifier))
        if handler.unary_stream is not None:
            inner = handler.unary_stream
            return handler._replace(unary_stream=_wrap_stream(method, inner, self._verifier))
        return handler


async def identify_caller(
    context: grpc.aio.ServicerContext, verifier: TokenVerifier | None
) -> None:
    """Makes the call's verified identity available to `tftkit.identity.caller` (or none)."""
    token = bearer_token(context)
    if not token or verifier is None:
        set_caller(None)
        return
    try:
        set_caller(await verifier.verify(token))
    except InvalidIdentity as error:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(error))


def _record(method: str, context: grpc.aio.ServicerContext, started: float, failed: bool) -> None:
    code = context.code() if hasattr(context, "code") else None
    name = "INTERNAL" if failed else (code.name if isinstance(code, grpc.StatusCode) else "OK")
    GRPC_HANDLED.labels(method, name).inc()
    GRPC_DURATION.labels(method).observe(time.perf_counter() - started)


async def _hide_unexpected(
    method: str, context: grpc.aio.ServicerContext, error: Exception
) -> None:
    log.exception("unhandled error in %s", method, exc_info=error)
    await context.abort(grpc.StatusCode.INTERNAL, GENERIC_ERROR)


def _wrap_unary(method: str, inner: Callable, verifier: TokenVerifier | None) -> Callable:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started, failed = time.perf_counter(), False
        try:
            await identify_caller(context, verifier)
            return await inner(request, context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as error:
            failed = True
            await _hide_unexpected(method, context, error)
        finally:
            _record(method, context, started, failed)

    return handle


def _wrap_stream(method: str, inner: Callable, verifier: TokenVerifier | None) -> Callable:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started, failed = time.perf_counter(), False
        try:
            await identify_caller(context, verifier)
            result = inner(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:  # handlers that write with context.write()
                await result
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as error:
            failed = True
            await _hide_unexpected(method, context, error)
        finally:
            _record(method, context, started, failed)

    return handle


# The largest request message a server takes unless told otherwise.
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class GrpcServer:
    """One grpc.aio server with the standard health and reflection services.

    Health answers SERVING only after `run()` starts (so after the caller connected its
    pools) and NOT_SERVING as soon as shutdown begins, before the grace period.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        grace_seconds: float = 5.0,
        verifier: TokenVerifier | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        min_ping_interval_ms: int = 20_000,
    ) -> None:
        """`verifier` checks the bearer token of calls that act for a user; a request message
        over `max_message_bytes` is refused (RESOURCE_EXHAUSTED) by gRPC from its length prefix,
        without being buffered."""
        self._server = grpc.aio.server(
            interceptors=[_ErrorAndMetricsInterceptor(verifier)],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", max_message_bytes),
                # Clients ping idle channels every 30 s (tftkit.grpc_client); with gRPC's
                # defaults (one ping per 5 min without calls) the server answers the third with
                # GOAWAY "too_many_pings" and the next call on that channel fails UNAVAILABLE.
                # (The C core's name for the server's minimum is this one, without "recv".)
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.min_ping_interval_without_data_ms", min_ping_interval_ms),
            ],
        )
        self._health = health.aio.HealthServicer()
        self._service_names: list[str] = []
        self._grace = grace_seconds
        self.address = f"{host}:{port}"
        self.port = self._server.add_insecure_port(self.address)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {self.address}")
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)

    def add(
        self, register: Callable[[Any, grpc.aio.Server], None], servicer: Any, full_name: str
    ) -> None:
        """Registers a servicer with the full name of its service (for health and reflection)."""
        register(servicer, self._server)
        self._service_names.append(full_name)

    async def start(self) -> None:
        reflection.enable_server_reflection(
            [*self._service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        await self._server.start()
        for name in ("", *self._service_names):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC server listening", extra={"fields": {"address": self.address}})

    async def stop(self) -> None:
        await self._health.enter_graceful_shutdown()
        await self._server.stop(self._grace)

    async def run(self) -> None:
        """Starts, then serves until SIGINT/SIGTERM, then stops gracefully."""
        await self.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await stopping.wait()
        finally:
            await self.stop()

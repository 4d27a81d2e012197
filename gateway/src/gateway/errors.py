"""The JSON envelope, and gRPC status codes mapped to HTTP status codes."""

import logging
from typing import Any

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tftkit.rate_limit import RETRY_AFTER_METADATA_KEY

log = logging.getLogger(__name__)

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
# Messages of 5xx answers: the downstream detail stays in our logs, not in the response.
_SERVER_MESSAGES = {
    501: "not implemented yet",
    502: "upstream service failed",
    503: "service temporarily unavailable",
    504: "upstream service timed out",
}


class ApiError(Exception):
    """An error answered as `{"status": "fail", "message": ...}` with an HTTP status."""

    def __init__(
        self, status_code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers or {}


def envelope(data: Any = None, message: str = "ok", status: str = "success") -> dict[str, Any]:
    return {"status": status, "message": message, "data": data}


def fail(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(envelope(None, message, "fail"), status_code=status_code, headers=headers)


# A refusal that did not say when to retry (chat-service's "too many turns running"): a 429
# always tells the client when, so it backs off instead of retrying at once.
DEFAULT_RETRY_AFTER_SECONDS = 5


def _retry_after(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The `Retry-After` header a downstream rate limit asked for, else the default."""
    for key, value in error.trailing_metadata() or ():
        if key == RETRY_AFTER_METADATA_KEY and str(value).isdigit():
            return {"Retry-After": str(value)}
    return {"Retry-After": str(DEFAULT_RETRY_AFTER_SECONDS)}


def api_error_from_rpc(error: grpc.aio.AioRpcError) -> ApiError:
    """The HTTP error a downstream gRPC failure becomes."""
    status_code = _HTTP_STATUS.get(error.code(), 502)
    if status_code >= 500:
        log.warning("downstream call failed: %s %s", error.code().name, error.details())
        return ApiError(status_code, _SERVER_MESSAGES.get(status_code, _SERVER_MESSAGES[502]))
    headers = _retry_after(error) if status_code == 429 else {}
    return ApiError(status_code, error.details() or error.code().name.lower(), headers)


def install_error_handlers(app) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return fail(error.status_code, error.message, error.headers)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def _rpc_error(request: Request, error: grpc.aio.AioRpcError) -> JSONResponse:
        mapped = api_error_from_rpc(error)
        return fail(mapped.status_code, mapped.message, mapped.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p not in ('query', 'body'))}: {e['msg']}"
            for e in error.errors()
        )
        return fail(422, problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return fail(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return fail(500, "internal error")

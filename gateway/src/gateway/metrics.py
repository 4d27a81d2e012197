"""Gateway metrics besides the SSE family (sse.py): HTTP requests, and the process memory the
SSE metrics read.

`http_server_requests_seconds` is the seed's Spring metric of every HTTP request; the seed's
JVM metrics (`jvm_memory_used_bytes`, `jvm_gc_pause_seconds`) have no JVM to measure here:
prometheus_client's default collectors export the process's own (`process_resident_memory_bytes`,
`python_gc_collections_total`) on every process instead.
"""

import asyncio
import math
import os
import resource
import sys
import time
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Histogram(
    "http_server_requests_seconds",
    "Seconds from a request's arrival to its response's end (an SSE stream: to its close), "
    "by method, route template and status",
    ["method", "uri", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def _loop_tasks() -> float:
    """Tasks of the event loop the scrape runs on (the gateway's: /actuator/prometheus is
    served there); NaN when read from outside any loop."""
    try:
        return float(len(asyncio.all_tasks()))
    except RuntimeError:
        return math.nan


# Benches check that connect/disconnect churn leaves no task behind: read on scrape, so it
# costs nothing per request.
ASYNCIO_TASKS = Gauge("asyncio_tasks", "Tasks of the gateway's event loop (read on scrape)")
ASYNCIO_TASKS.set_function(_loop_tasks)

# Where the middleware leaves the request's arrival time (perf_counter) in the ASGI scope, so
# the SSE metrics measure from the request rather than from the route's first line.
RECEIVED_AT = "tft.received_at"


def received_at(scope: Scope) -> float:
    """When the request arrived (now if it did not pass the middleware, e.g. in a unit test)."""
    value = scope.get(RECEIVED_AT)
    return value if isinstance(value, float) else time.perf_counter()


def request_received_at(request: Request) -> float:
    return received_at(request.scope)


# A route parameter: when its request arrived.
ReceivedAt = Annotated[float, Depends(request_received_at)]


class HttpMetricsMiddleware:
    """Times every HTTP request; the route template (not the path) keeps the labels few."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope[RECEIVED_AT] = started
        # An exception that escapes the app becomes a 500 outside this middleware.
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router wrote the matched route into this same scope; none matched: UNKNOWN.
            uri = getattr(scope.get("route"), "path", None) or "UNKNOWN"
            HTTP_REQUESTS.labels(scope["method"], uri, str(status)).observe(
                time.perf_counter() - started
            )


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = Path("/proc/self/statm")


def resident_memory_bytes() -> float:
    """The process's resident set size now: one small read of /proc (Linux).

    Elsewhere the peak resident size is the best the standard library offers.
    """
    try:
        return float(int(_STATM.read_text().split()[1]) * _PAGE_SIZE)
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return float(peak if sys.platform == "darwin" else peak * 1024)


def _memory_limit_bytes() -> float:
    """The container's memory limit (cgroup v2, then v1), else the machine's memory."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        # "max" (v2) or a page-rounded near-2**63 (v1) mean no limit.
        if text.isdigit() and int(text) < 2**60:
            return float(text)
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


# Read once: the limit of a running process does not change.
MEMORY_LIMIT_BYTES = _memory_limit_bytes()
# The seed warns when memory use passes 80 %.
MEMORY_PEAK_SHARE = 0.8

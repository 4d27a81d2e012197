"""The common start of every service's `__main__`: logging, tracing, metrics, then serve()."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tftkit.logging import configure_logging
from tftkit.metrics import serve_metrics
from tftkit.settings import ServiceSettings
from tftkit.telemetry import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def run_service(name: str, settings: S, serve: Callable[[S], Awaitable[None]]) -> None:
    """Runs `serve(settings)` with the process-wide observability set up first."""
    configure_logging(name, settings.log_level)
    configure_tracing(name)
    serve_metrics(settings.host, settings.metrics_port)
    asyncio.run(serve(settings))

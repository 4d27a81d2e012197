"""The common start of every service's `__main__`: settings, logging, tracing, metrics, serve()."""

import asyncio
import logging
import resource
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from tftkit.logging import configure_logging
from tftkit.metrics import serve_metrics
from tftkit.settings import ServiceSettings
from tftkit.telemetry import configure_tracing

S = TypeVar("S", bound=ServiceSettings)

log = logging.getLogger(__name__)


def load_settings(name: str, settings_class: type[S]) -> S:
    """The settings from the environment; exits with a readable list of what is wrong."""
    try:
        return settings_class()
    except ValidationError as error:
        prefix = settings_class.model_config.get("env_prefix", "")
        lines = [f"{name}: invalid settings"]
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            lines.append(f"  {prefix}{field.upper()}: {problem['msg']}")
        sys.exit("\n".join(lines))


def raise_open_files_limit() -> int:
    """Raises the soft limit of open files to the hard limit, logs it and returns it.

    Every connection (a client's, a gRPC peer's) is a file descriptor: the usual soft limit
    (1024) refuses connections long before memory or CPU run out, while the hard limit the
    container or systemd grants is far higher.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            # macOS refuses an unlimited soft limit (and any above kern.maxfilesperproc): keep
            # what there is rather than fail the start.
            log.warning("cannot raise the open files limit", extra={"fields": {"soft": soft}})
        else:
            soft = hard
    log.info("open files limit", extra={"fields": {"soft": soft, "hard": hard}})
    return soft


def run_service(name: str, settings_class: type[S], serve: Callable[[S], Awaitable[None]]) -> None:
    """Runs `serve(settings)` with the process-wide observability set up first."""
    settings = load_settings(name, settings_class)
    configure_logging(name, settings.log_level)
    raise_open_files_limit()
    configure_tracing(name)
    serve_metrics(settings.host, settings.metrics_port)
    asyncio.run(serve(settings))

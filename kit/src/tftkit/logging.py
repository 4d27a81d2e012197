"""JSON log lines carrying the current trace id, one per event."""

import json
import logging
import sys
from datetime import UTC, datetime

from opentelemetry import trace


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with time, level, logger, message and trace ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _KnownHarmlessDetach(logging.Filter):
    """Drops OpenTelemetry's "Failed to detach context" on cancelled gRPC streams.

    The grpc.aio server instrumentation leaves its span context when the stream's generator
    is closed from another context (open-telemetry/opentelemetry-python-contrib#2357); the
    span still ends, only an ERROR with a traceback is logged on every client disconnect.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "opentelemetry.context" and "detach" in record.getMessage())


def configure_logging(service: str, level: str = "INFO") -> None:
    """Sends every log record of the process to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(_KnownHarmlessDetach())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

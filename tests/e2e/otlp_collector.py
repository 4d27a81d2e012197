"""A local OTLP/gRPC trace receiver: the services export real spans to it over the wire."""

from collections import defaultdict

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class SpanCollector(trace_service_pb2_grpc.TraceServiceServicer):
    """Keeps every exported span as (service.name, span) grouped by trace id."""

    def __init__(self) -> None:
        self.traces: dict[str, list[tuple[str, object]]] = defaultdict(list)

    async def Export(self, request, context):
        for resource_spans in request.resource_spans:
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.traces[span.trace_id.hex()].append((service, span))
        return trace_service_pb2.ExportTraceServiceResponse()

    def services_in_trace_of(self, path: str) -> set[str]:
        """The services that took part in the newest trace whose gateway span served `path`
        (earlier tests may have sent the same path)."""
        for spans in reversed(list(self.traces.values())):
            if any(_mentions(span, path) for _, span in spans):
                return {service for service, _ in spans}
        return set()

    def span_names_in_trace_of(self, path: str) -> set[str]:
        """The names of the spans in the newest trace whose gateway span served `path`."""
        for spans in reversed(list(self.traces.values())):
            if any(_mentions(span, path) for _, span in spans):
                return {span.name for _, span in spans}
        return set()

    def database_writes_in_trace_of(self, path: str) -> set[str]:
        """The services that wrote to PostgreSQL (INSERT, UPDATE or DELETE) within the newest
        trace whose gateway span served `path`."""
        for spans in reversed(list(self.traces.values())):
            if any(_mentions(span, path) for _, span in spans):
                return {service for service, span in spans if _writes(span)}
        return set()


def _writes(span) -> bool:
    attributes = {a.key: a.value.string_value for a in span.attributes}
    statement = attributes.get("db.statement") or attributes.get("db.query.text") or ""
    return attributes.get("db.system") == "postgresql" and statement.lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE")
    )


def _mentions(span, path: str) -> bool:
    # The request path is `url.path` or `http.target` depending on the semantic conventions.
    return any(path in a.value.string_value for a in span.attributes)

"""Prometheus metrics of the gRPC layer and the metrics HTTP endpoint."""

from prometheus_client import Counter, Histogram, start_http_server

GRPC_HANDLED = Counter(
    "grpc_server_handled_total", "RPCs completed by the server", ["method", "code"]
)
GRPC_DURATION = Histogram(
    "grpc_server_handling_seconds", "Time to complete an RPC (to the last message)", ["method"]
)


def serve_metrics(host: str, port: int) -> None:
    """Serves /metrics on its own port (a background thread); 0 disables it."""
    if port:
        start_http_server(port, addr=host)

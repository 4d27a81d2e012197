"""The container HEALTHCHECK: exit 0 only when the service is ready to take requests.

gRPC services: grpc.health.v1 Check answers SERVING; the gateway: GET /actuator/health is 200.
The service is $TFT_SERVICE (set by the image); its port is <PREFIX>_PORT when set, otherwise
the default of its settings class, so the check follows whatever port the service listens on.
"""

from __future__ import annotations

import importlib
import os
import sys

TIMEOUT_SECONDS = 3.0


def prefix(service: str) -> str:
    return service.split("-", 1)[0].upper()


def port(service: str, environ: dict[str, str] | os._Environ = os.environ) -> int:
    configured = environ.get(f"{prefix(service)}_PORT")
    if configured:
        return int(configured)
    settings = importlib.import_module(f"{service.replace('-', '_')}.settings")
    for value in vars(settings).values():
        config = getattr(value, "model_config", None)
        fields = getattr(value, "model_fields", {})
        ours = isinstance(config, dict) and config.get("env_prefix") == f"{prefix(service)}_"
        if ours and "port" in fields:
            return int(fields["port"].default)
    raise LookupError(f"no settings with a port for {service}")


def check(service: str, host: str = "127.0.0.1", port_number: int | None = None) -> bool:
    target = port_number if port_number is not None else port(service)
    if service == "gateway":
        import urllib.request

        url = f"http://{host}:{target}/actuator/health"
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                return response.status == 200
        except OSError:
            return False
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"{host}:{target}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=TIMEOUT_SECONDS
            )
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


if __name__ == "__main__":
    sys.exit(0 if check(os.environ["TFT_SERVICE"]) else 1)

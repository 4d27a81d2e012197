"""The system's table (names, ports, stores) and the environment each service is started with.

One name per service everywhere: folder, compose service, image, OTEL_SERVICE_NAME, log file.
"""

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tft_launcher.health import grpc_probe, http_probe
from tft_launcher.processes import ProcessSpec
from tftkit.postgres import with_database


@dataclass(frozen=True)
class Service:
    name: str
    prefix: str  # of its settings: AUTH_PORT, AUTH_POSTGRES_DSN ...
    port: int
    metrics_port: int | None = None
    database: str | None = None
    redis_db: int | None = None
    object_store: bool = False
    http: bool = False

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    def port_in(self, env: Mapping[str, str]) -> int:
        """The port this service will listen on: `<PREFIX>_PORT` when set, else the table's."""
        return int(env.get(f"{self.prefix}_PORT") or self.port)


SERVICES: tuple[Service, ...] = (
    Service("auth-service", "AUTH", 50051, 9101, database="auth"),
    Service("chat-service", "CHAT", 50052, 9102, database="chat", redis_db=1, object_store=True),
    Service("expert-service", "EXPERT", 50053, 9103, redis_db=2),
    Service(
        "product-service",
        "PRODUCT",
        50054,
        9104,
        database="product",
        redis_db=3,
        object_store=True,
    ),
    Service("fitting-service", "FITTING", 50055, 9105, redis_db=4, object_store=True),
    Service("gateway", "GATEWAY", 8000, http=True),
)
GRPC_SERVICES = tuple(s for s in SERVICES if not s.http)
GATEWAY = SERVICES[-1]
DATABASES = tuple(s.database for s in SERVICES if s.database)


def by_names(names: Iterable[str]) -> list[Service]:
    """Services in table order; unknown names are an error that lists the known ones."""
    wanted = set(names)
    unknown = wanted - {s.name for s in SERVICES}
    if unknown:
        known = ", ".join(s.name for s in SERVICES)
        raise ValueError(f"unknown service(s) {', '.join(sorted(unknown))}; known: {known}")
    return [s for s in SERVICES if s.name in wanted] if wanted else list(SERVICES)


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server URL pointed at database number `db`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def service_env(
    *,
    server_dsn: str,
    redis_url: str,
    state_dir: Path,
    secrets: Mapping[str, str],
    environ: Mapping[str, str],
) -> dict[str, str]:
    """One environment for all six processes (every variable is prefixed by its service).

    Derived values are defaults: a variable already in `environ` wins, so an operator can
    point one service at another database or port without editing the launcher.
    """
    derived: dict[str, str] = {"PYTHONUNBUFFERED": "1"}
    gateway_port = GATEWAY.port_in(environ)
    derived["OBJECT_STORE_DIR"] = str((state_dir / "objects").resolve())
    derived["MEDIA_BASE_URL"] = f"http://127.0.0.1:{gateway_port}/media"
    for service in SERVICES:
        p = service.prefix
        derived[f"{p}_HOST"] = "127.0.0.1"
        derived[f"{p}_PORT"] = str(service.port_in(environ))
        if service.metrics_port is not None:
            derived[f"{p}_METRICS_PORT"] = str(service.metrics_port)
        if not service.http:
            derived[f"{p}_SERVICE_ADDR"] = f"127.0.0.1:{service.port_in(environ)}"
        if service.database:
            derived[f"{p}_POSTGRES_DSN"] = with_database(server_dsn, service.database)
        if service.redis_db is not None:
            derived[f"{p}_REDIS_URL"] = with_redis_db(redis_url, service.redis_db)
    if secrets.get("AUTH_SIGNING_KEY"):
        derived["AUTH_SIGNING_KEY"] = secrets["AUTH_SIGNING_KEY"]
    return {**derived, **environ}


def service_specs(services: Iterable[Service], env: Mapping[str, str]) -> list[ProcessSpec]:
    """How to run and probe each service: `python -m <package>` with the same interpreter."""
    specs = []
    for service in services:
        port = service.port_in(env)
        probe = (
            http_probe(f"http://127.0.0.1:{port}/actuator/health")
            if service.http
            else grpc_probe(f"127.0.0.1:{port}")
        )
        specs.append(
            ProcessSpec(
                service.name,
                [sys.executable, "-m", service.module],
                env={"OTEL_SERVICE_NAME": service.name},
                probe=probe,
            )
        )
    return specs


def seed_spec() -> ProcessSpec:
    """Loads the demo catalog once (a no-op when the catalog already has products)."""
    return ProcessSpec(
        "product-seed",
        [sys.executable, "-m", "product_service", "seed", "--if-empty"],
        env={"OTEL_SERVICE_NAME": "product-service"},
    )

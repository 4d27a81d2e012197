"""docker-compose.yml, the Dockerfiles and the Kubernetes base agree with the system's table.

No Docker engine runs here, so these read the files: every service present under its one name,
built from its own Dockerfile, on the documented ports, and no secret value committed.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# name: (settings prefix, gRPC/HTTP port, metrics port)
SERVICES = {
    "auth-service": ("AUTH", 50051, 9101),
    "chat-service": ("CHAT", 50052, 9102),
    "expert-service": ("EXPERT", 50053, 9103),
    "product-service": ("PRODUCT", 50054, 9104),
    "fitting-service": ("FITTING", 50055, 9105),
    "gateway": ("GATEWAY", 8000, None),
}
STORES = {"postgres", "redis", "minio", "minio-init", "otel-collector"}
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|ACCESS_KEY")
REFERENCE = re.compile(r"^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _container_ports(service: dict) -> set[int]:
    return {int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in service.get("ports", [])}


def test_every_service_and_store_is_present(compose):
    assert set(SERVICES) | STORES <= set(compose["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_builds_from_its_own_dockerfile(compose, name):
    build = compose["services"][name]["build"]
    context = ROOT / build["context"]
    dockerfile = context / build["dockerfile"]
    assert dockerfile.is_file()
    assert dockerfile.parent == ROOT / name
    assert compose["services"][name]["image"] == f"thefirsttake/{name}"


@pytest.mark.parametrize("name", SERVICES)
def test_ports_and_addresses_match_the_table(compose, name):
    prefix, port, metrics = SERVICES[name]
    service = compose["services"][name]
    env = _env(service)
    assert env[f"{prefix}_PORT"] == str(port)
    if metrics is not None:
        assert env[f"{prefix}_METRICS_PORT"] == str(metrics)
    assert port in _container_ports(service)
    for other, (other_prefix, other_port, _) in SERVICES.items():
        address = env.get(f"{other_prefix}_SERVICE_ADDR")
        if address is not None:
            assert address == f"{other}:{other_port}"


def test_gateway_is_published_on_8000_and_knows_every_service(compose):
    gateway = compose["services"]["gateway"]
    assert "8000:8000" in [str(p) for p in gateway["ports"]]
    env = _env(gateway)
    for name, (prefix, port, _) in SERVICES.items():
        if name != "gateway":
            assert env[f"{prefix}_SERVICE_ADDR"] == f"{name}:{port}"
    assert set(gateway["depends_on"]) == set(SERVICES) - {"gateway"}


def test_databases_and_redis_dbs_are_each_services_own(compose):
    dsns = {
        n: _env(compose["services"][n]).get(f"{p}_POSTGRES_DSN")
        for n, (p, _, _) in SERVICES.items()
    }
    assert dsns["auth-service"].endswith("@postgres:5432/auth")
    assert dsns["chat-service"].endswith("@postgres:5432/chat")
    assert dsns["product-service"].endswith("@postgres:5432/product")
    redis = [
        _env(compose["services"][n]).get(f"{p}_REDIS_URL") for n, (p, _, _) in SERVICES.items()
    ]
    redis = [url for url in redis if url]
    assert len(redis) == 4 and len(set(redis)) == 4
    init = (ROOT / "deploy/postgres/init-databases.sql").read_text()
    for database in ("auth", "chat", "product"):
        assert f"CREATE DATABASE {database};" in init
    assert "CREATE EXTENSION IF NOT EXISTS pg_trgm" in init


def test_no_secret_value_is_committed(compose):
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            if SECRET_WORDS.search(key):
                assert REFERENCE.match(value), f"{name}: {key} must come from .env, not {value!r}"
            # Credentials inside URLs are references too.
            for credential in re.findall(r"://[^:@/]*:([^@/]+)@", value):
                assert REFERENCE.match(credential), f"{name}: {key} embeds a literal password"
    text = (ROOT / "docker-compose.yml").read_text()
    for required in ("AUTH_SIGNING_KEY", "POSTGRES_PASSWORD"):
        assert f"${{{required}:?" in text, f"{required} must be required from .env"
    example = (ROOT / ".env.example").read_text()
    for required in ("AUTH_SIGNING_KEY", "POSTGRES_PASSWORD"):
        assert re.search(rf"^{required}=$", example, re.M), (
            f"{required} has a value in .env.example"
        )


def test_services_wait_for_healthy_stores(compose):
    services = compose["services"]
    assert services["auth-service"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["chat-service"]["depends_on"]["redis"]["condition"] == "service_healthy"
    seed = services["product-seed"]
    assert seed["command"][-2:] == ["seed", "--if-empty"]
    assert (
        services["product-service"]["depends_on"]["product-seed"]["condition"]
        == "service_completed_successfully"
    )
    for name in ("postgres", "redis", "minio"):
        assert "healthcheck" in services[name]


def test_mounted_config_files_exist(compose):
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("./"):
                path = ROOT / source
                # A file, or a folder of config files (Grafana's provisioning and dashboards).
                assert path.is_file() or (path.is_dir() and any(path.rglob("*.*"))), source


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_runs_the_service_as_non_root_with_a_healthcheck(name):
    prefix, port, metrics = SERVICES[name]
    text = (ROOT / name / "Dockerfile").read_text()
    assert text.startswith("# syntax=docker/dockerfile:1")
    assert "FROM python:3.11-slim" in text
    assert f"uv sync --frozen --no-dev --package {name}" in text
    assert "bash protos/generate.sh" in text
    assert re.search(r"grpcio-tools>=[\d.]+,<1\.82", text)
    assert re.search(r"^USER 10001$", text, re.M)  # numeric: runAsNonRoot can check it
    assert f"{prefix}_HOST=0.0.0.0" in text
    exposed = re.search(r"^EXPOSE (.+)$", text, re.M).group(1).split()
    assert str(port) in exposed and (metrics is None or str(metrics) in exposed)
    assert "HEALTHCHECK" in text
    module = name.replace("-", "_")
    assert f'CMD ["python", "-m", "{module}"]' in text
    # Every COPY source exists (the build context is the repository root).
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert (ROOT / source).exists(), f"{name}/Dockerfile copies missing {source}"


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored

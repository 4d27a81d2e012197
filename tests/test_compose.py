"""docker-compose.yml and .env.example agree with the system's table.

No Docker engine runs here, so these read the files: every service present under its one name,
built from the one shared Dockerfile (deploy/docker/Dockerfile, see test_dockerfile.py) with its
name as the SERVICE build argument, on the documented ports, waiting for healthy dependencies,
and no secret value committed.
"""

import re
import subprocess
import sys
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
SHARED_DOCKERFILE = "deploy/docker/Dockerfile"
ONE_SHOT = {"minio-init", "product-seed"}  # jobs that run to completion, then stay stopped
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
def test_each_service_builds_from_the_shared_dockerfile(compose, name):
    service = compose["services"][name]
    build = service["build"]
    assert (ROOT / build["context"]).resolve() == ROOT
    assert build["dockerfile"] == SHARED_DOCKERFILE
    assert (ROOT / build["dockerfile"]).is_file()
    assert build["args"] == {"SERVICE": name}
    assert service["image"] == f"thefirsttake/{name}"
    assert _env(service).get("OTEL_SERVICE_NAME", name) == name


def test_every_build_uses_the_shared_dockerfile_and_no_other_exists(compose):
    builds = {n: s["build"] for n, s in compose["services"].items() if "build" in s}
    assert set(builds) == set(SERVICES) | {"product-seed"}
    for name, build in builds.items():
        assert build["dockerfile"] == SHARED_DOCKERFILE, name
        assert (ROOT / build["args"]["SERVICE"] / "pyproject.toml").is_file(), name
        image = compose["services"][name]["image"]
        assert image == f"thefirsttake/{build['args']['SERVICE']}", name
    dockerfiles = {
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("Dockerfile")
        if not {".venv", "node_modules", ".git"} & set(p.parts)
    }
    assert dockerfiles == {SHARED_DOCKERFILE}


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


def test_every_depends_on_waits_for_health_or_completion(compose):
    services = compose["services"]
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for other, spec in depends.items():
            if other in ONE_SHOT:
                assert spec["condition"] == "service_completed_successfully", (name, other)
                assert services[other]["restart"] == "no", other
            else:
                assert spec["condition"] == "service_healthy", (name, other)
                target = services[other]
                # a healthcheck of its own in compose, or the shared image's HEALTHCHECK
                assert "test" in target.get("healthcheck", {}), (name, other)


def test_every_store_and_service_has_a_healthcheck(compose):
    for name in ("postgres", "redis", "minio", "prometheus", *SERVICES):
        check = compose["services"][name]["healthcheck"]
        assert check["test"] and not check.get("disable"), name
    for name in SERVICES:
        assert compose["services"][name]["healthcheck"]["test"] == [
            "CMD",
            "python",
            "/app/healthcheck.py",
        ]


@pytest.mark.parametrize("name", [*SERVICES, "product-seed"])
def test_services_run_read_only_without_capabilities(compose, name):
    service = compose["services"][name]
    assert service["read_only"] is True
    assert any(str(m).split(":")[0] == "/tmp" for m in service["tmpfs"])
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]


def test_stores_keep_their_data_in_named_volumes(compose):
    volumes = compose["volumes"]
    for name, path in (
        ("postgres", "/var/lib/postgresql/data"),
        ("redis", "/data"),
        ("minio", "/data"),
    ):
        mounts = dict(str(v).split(":")[:2] for v in compose["services"][name]["volumes"])
        source = {target: src for src, target in mounts.items()}[path]
        assert source in volumes, name


def test_services_with_objects_point_at_minio(compose):
    for name in ("chat-service", "fitting-service", "product-service", "product-seed"):
        env = _env(compose["services"][name])
        assert env["S3_ENDPOINT"] == "http://minio:9000", name
        assert env["S3_BUCKET"] == "thefirsttake", name
        for key in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "MEDIA_BASE_URL", "S3_REGION"):
            assert env[key], (name, key)


def test_env_example_lists_every_variable_compose_reads():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    assert used, "no ${VAR} found"
    assert used == listed, f"missing: {used - listed}, unused: {listed - used}"
    # required ones (${VAR:?...}) are empty unless they are not secret (the MinIO user name)
    for name in set(re.findall(r"\$\{([A-Z0-9_]+):\?", text)):
        if SECRET_WORDS.search(name) or name == "AUTH_SIGNING_KEY":
            assert re.search(rf"^{name}=$", example, re.M), name


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored


def _validate(path: Path) -> subprocess.CompletedProcess:
    """The Compose Specification's JSON schema, as check-jsonschema carries it (offline)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_compose_file_is_valid_against_the_compose_specification():
    checked = _validate(ROOT / "docker-compose.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_schema_check_refuses_a_malformed_compose_file(compose, tmp_path):
    broken = dict(compose)
    broken["services"] = {**compose["services"], "gateway": {**compose["services"]["gateway"]}}
    broken["services"]["gateway"]["depends_on"] = {"chat-service": {"condition": "when_ready"}}
    broken["services"]["gateway"]["restart_policy"] = "always"  # not a service key
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    checked = _validate(path)
    assert checked.returncode != 0
    assert "when_ready" in checked.stdout or "restart_policy" in checked.stdout

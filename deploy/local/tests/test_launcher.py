"""`python -m tft_launcher` end to end, with stand-in service packages on PYTHONPATH.

The stand-ins are real processes serving grpc.health.v1 (kit's GrpcServer) and an HTTP health
route, so this checks the launcher's whole path: secrets, embedded PostgreSQL and Redis,
databases, seed, environment, health waits, the ready line, and shutdown. The real services
are exercised by the repository's end-to-end tests.
"""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tft_launcher import GRPC_FORK_FLAG, SET_GRPC_FORK_FLAG
from tft_launcher.services import SERVICES

GRPC_FAKE = """
import asyncio, json, os, sys
from pathlib import Path

NAME, PREFIX = {name!r}, {prefix!r}
out = Path(os.environ["OBJECT_STORE_DIR"])
out.mkdir(parents=True, exist_ok=True)

async def check_database() -> None:
    import asyncpg
    conn = await asyncpg.connect(os.environ["PRODUCT_POSTGRES_DSN"], timeout=10)
    try:
        exts = await conn.fetch("SELECT extname FROM pg_extension")
    finally:
        await conn.close()
    (out / "seeded").write_text(" ".join(sorted(r["extname"] for r in exts)))

if sys.argv[1:] == ["seed", "--if-empty"]:
    (out / "seed.tmp").write_text(str(os.getpid()))
    (out / "seed.tmp").replace(out / "seed.pid")
    asyncio.run(check_database())
    import time
    time.sleep(float(os.environ.get("FAKE_SEED_SECONDS", "0")))
    sys.exit(0)
if os.environ.get("FAKE_FAIL") == NAME:
    import time
    for _ in range(600 if os.environ.get("FAKE_FAIL_AFTER_SEED") else 0):
        if (out / "seed.pid").exists():  # die once the seed is surely running
            break
        time.sleep(0.1)
    print(NAME + " exploded", flush=True)
    sys.exit(1)
# Atomic (temp + rename): a stop signal may arrive at any moment.
tmp = out / (NAME + ".tmp")
tmp.write_text(json.dumps({{"pid": os.getpid(), "env": dict(os.environ)}}))
tmp.replace(out / (NAME + ".json"))
from tftkit.grpc_server import GrpcServer

async def serve() -> None:
    port = int(os.environ[PREFIX + "_PORT"])
    await GrpcServer(host=os.environ[PREFIX + "_HOST"], port=port, grace_seconds=1).run()

asyncio.run(serve())
"""

HTTP_FAKE = """
import json, os, signal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

out = Path(os.environ["OBJECT_STORE_DIR"])
out.mkdir(parents=True, exist_ok=True)
(out / "gateway.tmp").write_text(json.dumps({"pid": os.getpid(), "env": dict(os.environ)}))
(out / "gateway.tmp").replace(out / "gateway.json")

class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/actuator/health" else 404)
        self.end_headers()

signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
HTTPServer((os.environ["GATEWAY_HOST"], int(os.environ["GATEWAY_PORT"])), Health).serve_forever()
"""


@pytest.fixture
def launcher_env(tmp_path, free_port) -> dict[str, str]:
    fakes = tmp_path / "fakes"
    for service in SERVICES:
        package = fakes / service.module
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        body = (
            HTTP_FAKE
            if service.http
            else GRPC_FAKE.format(name=service.name, prefix=service.prefix)
        )
        (package / "__main__.py").write_text(body)
    # The launcher's own inputs only: nothing from the machine's environment may steer it.
    prefixes = ("TFT_", "OBJECT_STORE_", "MEDIA_", "S3_", *(f"{s.prefix}_" for s in SERVICES))
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.pop("POSTGRES_DSN", None)
    # The root conftest turns gRPC fork support off for the test process; the launcher must
    # be seen deciding that for itself.
    env.pop("GRPC_ENABLE_FORK_SUPPORT", None)
    env.pop("REDIS_URL", None)
    if SET_GRPC_FORK_FLAG:  # set in this test process by importing tft_launcher
        env.pop(GRPC_FORK_FLAG, None)
    env.update(
        PYTHONPATH=str(fakes),
        TFT_STATE_DIR=str(tmp_path / "var"),
        TFT_EMBEDDED_POSTGRES_PORT=str(free_port()),
        TFT_EMBEDDED_REDIS_PORT=str(free_port()),
        TFT_STARTUP_TIMEOUT_SECONDS="60",
        **{f"{s.prefix}_PORT": str(free_port()) for s in SERVICES},
    )
    return env


async def _launch(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tft_launcher",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _read_until(process: asyncio.subprocess.Process, text: str, seen: list[str]) -> None:
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} never printed:\n{''.join(seen)}")


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    # A zombie (not yet reaped by its parent) is dead for our purposes.
    return "State:\tZ" not in status


async def test_brings_everything_up_prints_the_url_and_stops_cleanly(launcher_env, tmp_path):
    launcher = await _launch(launcher_env)
    seen: list[str] = []
    try:
        await asyncio.wait_for(_read_until(launcher, "is ready at", seen), 90)
    finally:
        if launcher.returncode is None:
            launcher.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(launcher.wait(), 60)
    rest = (await launcher.stdout.read()).decode()
    output = "".join(seen) + rest
    assert code == 0, output
    gateway_port = launcher_env["GATEWAY_PORT"]
    assert f"TheFirstTake is ready at http://127.0.0.1:{gateway_port} (" in output

    objects = tmp_path / "var" / "objects"
    assert set((objects / "seeded").read_text().split()) >= {"pg_trgm", "unaccent"}
    secrets = dict(
        line.split("=", 1)
        for line in (tmp_path / "var" / "secrets.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    pids = []
    for service in SERVICES:
        seen_by = json.loads((objects / f"{service.name}.json").read_text())
        pids.append(seen_by["pid"])
        got = seen_by["env"]
        assert got["OTEL_SERVICE_NAME"] == service.name
        assert got["AUTH_SIGNING_KEY"] == secrets["AUTH_SIGNING_KEY"]
        assert got["PRODUCT_SERVICE_ADDR"] == f"127.0.0.1:{launcher_env['PRODUCT_PORT']}"
        assert got["AUTH_POSTGRES_DSN"].endswith("/auth")
        assert got["CHAT_POSTGRES_DSN"].endswith("/chat")
        assert got["PRODUCT_REDIS_URL"].endswith("/3")
        assert got["MEDIA_BASE_URL"] == f"http://127.0.0.1:{gateway_port}/media"
        assert "GRPC_ENABLE_FORK_SUPPORT" not in got  # the launcher's own setting stays its own
    assert len(set(pids)) == len(SERVICES)
    assert not any(_alive(pid) for pid in pids)
    assert (
        "database system is shut down" in (tmp_path / "var" / "logs" / "postgres.log").read_text()
    )


async def test_a_service_that_dies_at_start_stops_everything_and_is_named(launcher_env, tmp_path):
    launcher = await _launch({**launcher_env, "FAKE_FAIL": "chat-service"})
    assert launcher.stdout is not None
    output = (await asyncio.wait_for(launcher.stdout.read(), 90)).decode()
    code = await asyncio.wait_for(launcher.wait(), 30)
    assert code == 1, output
    log = tmp_path / "var" / "logs" / "chat-service.log"
    assert f"chat-service exited with code 1 during startup; its log is {log}" in output
    assert "chat-service exploded" in log.read_text()
    objects = tmp_path / "var" / "objects"
    for name in ("auth-service", "gateway"):
        seen_by = objects / f"{name}.json"
        if seen_by.is_file():  # it may not have started before the failure was seen
            assert not _alive(json.loads(seen_by.read_text())["pid"])
    assert "ready at" not in output


async def test_a_service_dying_during_a_long_seed_is_reported_without_waiting(
    launcher_env, tmp_path
):
    env = {
        **launcher_env,
        "FAKE_FAIL": "auth-service",
        "FAKE_FAIL_AFTER_SEED": "1",
        "FAKE_SEED_SECONDS": "300",
    }
    launcher = await _launch(env)
    assert launcher.stdout is not None
    # The guard is far below the seed's 300 s: the launcher must not wait for the seed.
    output = (await asyncio.wait_for(launcher.stdout.read(), 120)).decode()
    assert await asyncio.wait_for(launcher.wait(), 30) == 1, output
    assert "auth-service exited with code 1 during startup" in output
    seed_pid = int((tmp_path / "var" / "objects" / "seed.pid").read_text())
    assert not _alive(seed_pid), "the seed was left running"


async def test_given_stores_that_do_not_answer_are_named_without_their_password(
    launcher_env, free_port
):
    closed = free_port()
    env = {
        **launcher_env,
        "POSTGRES_DSN": f"postgresql://postgres:hunter2secret@127.0.0.1:{closed}/postgres",
        "REDIS_URL": f"redis://:hunter2secret@127.0.0.1:{closed}/0",
    }
    launcher = await _launch(env)
    assert launcher.stdout is not None
    output = (await asyncio.wait_for(launcher.stdout.read(), 60)).decode()
    assert await asyncio.wait_for(launcher.wait(), 30) == 1, output
    assert f"REDIS_URL (127.0.0.1:{closed}) does not answer" in output
    assert "hunter2secret" not in output
    assert "embedded" not in output  # given stores are used, nothing embedded is started

    del env["REDIS_URL"]  # an embedded Redis this time: only PostgreSQL is unreachable
    launcher = await _launch(env)
    output = (await asyncio.wait_for(launcher.stdout.read(), 60)).decode()
    assert await asyncio.wait_for(launcher.wait(), 30) == 1, output
    assert f"cannot prepare the databases on 127.0.0.1:{closed}" in output
    assert "hunter2secret" not in output


async def test_ctrl_c_during_the_seed_stops_the_seed_and_everything_started(launcher_env, tmp_path):
    launcher = await _launch({**launcher_env, "FAKE_SEED_SECONDS": "300"})
    seen: list[str] = []
    await asyncio.wait_for(_read_until(launcher, "seeding the demo catalog", seen), 60)
    objects = tmp_path / "var" / "objects"
    others = {f"{s.name}.json" for s in SERVICES if s.name != "product-service"}
    for _ in range(600):  # until the seed and the five others run (each records its pid)
        if (objects / "seed.pid").is_file() and others <= {f.name for f in objects.iterdir()}:
            break
        await asyncio.sleep(0.1)
    launcher.send_signal(signal.SIGINT)
    rest = (await asyncio.wait_for(launcher.stdout.read(), 60)).decode()
    output = "".join(seen) + rest
    assert await asyncio.wait_for(launcher.wait(), 30) == 130, output
    assert "stopped before everything was ready" in output
    assert not _alive(int((objects / "seed.pid").read_text()))
    started = [json.loads((objects / name).read_text())["pid"] for name in others]
    assert not any(_alive(pid) for pid in started)
    assert not (objects / "product-service.json").exists()  # it starts after the seed only
    assert "database system is shut down" in (tmp_path / "var/logs/postgres.log").read_text()

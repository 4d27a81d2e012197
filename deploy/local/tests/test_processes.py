import signal
import sys
from pathlib import Path

import pytest

from tft_launcher.health import grpc_probe, grpc_serving
from tft_launcher.processes import (
    ChildExited,
    ProcessSpec,
    StartupError,
    StartupTimeout,
    Supervisor,
    run_to_completion,
    running,
)

GRPC_CHILD = str(Path(__file__).with_name("grpc_child.py"))
ENV = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def test_starts_a_grpc_child_waits_for_serving_and_stops_it_gracefully(tmp_path, free_port):
    port = free_port()
    spec = ProcessSpec(
        "tiny", [sys.executable, GRPC_CHILD, str(port)], probe=grpc_probe(f"127.0.0.1:{port}")
    )
    async with running([spec], env=ENV, log_dir=tmp_path, startup_timeout=30) as group:
        assert await grpc_serving(f"127.0.0.1:{port}")
        (child,) = group.children
        assert child.returncode is None
    # GrpcServer.run() turns SIGTERM into a graceful stop and a normal exit.
    assert child.returncode == 0 and not child.killed
    assert not await grpc_serving(f"127.0.0.1:{port}", deadline=1)
    assert f"serving health on {port}" in (tmp_path / "tiny.log").read_text()


async def test_a_child_dying_during_startup_is_named_with_its_log(tmp_path, free_port):
    port = free_port()
    healthy = ProcessSpec(
        "tiny", [sys.executable, GRPC_CHILD, str(port)], probe=grpc_probe(f"127.0.0.1:{port}")
    )
    dying = ProcessSpec(
        "broken-service",
        python("import sys; print('cannot connect to the database'); sys.exit(3)"),
        probe=grpc_probe(f"127.0.0.1:{free_port()}"),
    )
    group = Supervisor(env=ENV, log_dir=tmp_path, console=None)
    await group.start([healthy, dying])
    try:
        with pytest.raises(ChildExited) as caught:
            await group.wait_healthy(within=30)
    finally:
        await group.stop(5)
    message = str(caught.value)
    assert caught.value.child.name == "broken-service"
    assert "exited with code 3" in message
    assert str(tmp_path / "broken-service.log") in message
    assert "cannot connect to the database" in message
    assert all(c.returncode is not None for c in group.children)


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    log = tmp_path / "stubborn.log"

    async def ignoring_sigterm() -> bool:
        return log.is_file() and "up" in log.read_text()

    stubborn = ProcessSpec(
        "stubborn",
        python(
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            "print('up', flush=True); time.sleep(60)"
        ),
        probe=ignoring_sigterm,
    )
    group = Supervisor(env=ENV, log_dir=tmp_path, console=None)
    (child,) = await group.start([stubborn])
    await group.wait_healthy(within=10)
    await group.stop(grace=0.5)
    assert child.returncode == -signal.SIGKILL
    assert child.killed


async def test_never_healthy_times_out_and_death_while_running_is_seen(tmp_path, free_port):
    silent = ProcessSpec(
        "silent",
        python("import time; time.sleep(60)"),
        probe=grpc_probe(f"127.0.0.1:{free_port()}"),
    )
    group = Supervisor(env=ENV, log_dir=tmp_path, console=None)
    await group.start([silent])
    with pytest.raises(StartupTimeout, match="silent was not healthy after 1 s"):
        await group.wait_healthy(within=1)
    await group.stop(5)

    short = Supervisor(env=ENV, log_dir=tmp_path, console=None)
    await short.start([ProcessSpec("short", python("import time; time.sleep(0.3)"))])
    dead = await short.wait_any_exit()
    assert dead.name == "short" and dead.returncode == 0


async def test_one_shot_command_must_succeed(tmp_path):
    await run_to_completion(
        ProcessSpec("ok", python("print('seeded')")), env=ENV, log_dir=tmp_path, within=30
    )
    assert "seeded" in (tmp_path / "ok.log").read_text()
    with pytest.raises(ChildExited, match="seed exited with code 2"):
        await run_to_completion(
            ProcessSpec("seed", python("raise SystemExit(2)")),
            env=ENV,
            log_dir=tmp_path,
            within=30,
        )
    with pytest.raises(StartupError, match="did not finish within 1 s"):
        await run_to_completion(
            ProcessSpec("slow", python("import time; time.sleep(30)")),
            env=ENV,
            log_dir=tmp_path,
            within=1,
        )


async def test_console_lines_carry_the_child_name(tmp_path):
    import io

    console = io.StringIO()
    group = Supervisor(env=ENV, log_dir=tmp_path, console=console)
    await group.start([ProcessSpec("chatty", python("print('one'); print('two', end='')"))])
    await group.wait_any_exit()
    assert console.getvalue().splitlines() == ["chatty | one", "chatty | two"]

"""A whole system on scratch databases, for fault tests and benchmarks: fresh PostgreSQL
databases and free ports on the machine's servers, a seeded catalog, every service as its own
process; everything dropped afterwards, so a running `make run` is never touched."""

import contextlib
import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tft_launcher.processes import ProcessSpec, Supervisor, run_to_completion, wait_healthy
from tft_launcher.services import SERVICES, service_env, service_specs
from tftkit.identity import new_signing_key
from tftkit.postgres import with_database

_DATABASES = {s.prefix: s.database for s in SERVICES if s.database}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ScratchSystem:
    supervisor: Supervisor
    env: dict[str, str]
    dsns: dict[str, str]  # by service prefix: CHAT, AUTH, PRODUCT
    base_url: str

    async def kill_and_restart(self, name: str, *, signal_number: int) -> None:
        """Sends `signal_number` to the named service (SIGKILL: no goodbye, no flush), then
        starts it again and waits until it is healthy."""
        child = next(c for c in reversed(self.supervisor.children) if c.spec.name == name)
        os.kill(child.pid, signal_number)
        await child.wait()
        (again,) = await self.supervisor.start([child.spec])
        await wait_healthy(again, within=120)


@contextlib.asynccontextmanager
async def scratch_system(
    *,
    server_dsn: str,
    redis_url: str,
    state_dir: Path,
    cwd: Path,
    catalog_size: int,
    overrides: Mapping[str, str] | None = None,
) -> AsyncIterator[ScratchSystem]:
    """Starts every service on its own scratch databases and free ports; `overrides` are
    settings on top (a shorter lease, a slower engine ...)."""
    suffix = secrets.token_hex(4)
    dsns = {prefix: with_database(server_dsn, f"scratch_{db}_{suffix}") for prefix, db in
            _DATABASES.items()}  # fmt: skip
    admin = await asyncpg.connect(server_dsn)
    try:
        for dsn in dsns.values():
            await admin.execute(f'CREATE DATABASE "{dsn.rsplit("/", 1)[1]}"')
        env = service_env(
            server_dsn=server_dsn,
            redis_url=redis_url,
            state_dir=state_dir,
            secrets={"AUTH_SIGNING_KEY": new_signing_key()},
            environ={
                **os.environ,
                **{f"{prefix}_POSTGRES_DSN": dsn for prefix, dsn in dsns.items()},
                **{f"{s.prefix}_METRICS_PORT": "0" for s in SERVICES if s.metrics_port},
                **{f"{s.prefix}_PORT": str(free_port()) for s in SERVICES},
                # Redis is shared: every key space of its own.
                "CHAT_TURN_QUEUE_KEY": f"chat-queue-{suffix}",
                "EXPERT_REDIS_KEY_PREFIX": f"expert-{suffix}",
                "FITTING_REDIS_KEY_PREFIX": f"fitting-{suffix}",
                **(overrides or {}),
            },
        )
        log_dir = state_dir / "logs"
        seed = ProcessSpec(
            "product-seed",
            [sys.executable, "-m", "product_service", "seed", "--count", str(catalog_size)],
        )
        await run_to_completion(seed, env=env, log_dir=log_dir, within=600, cwd=cwd)
        supervisor = Supervisor(env=env, log_dir=log_dir, cwd=cwd, console=None)
        await supervisor.start(service_specs(SERVICES, env))
        try:
            await supervisor.wait_healthy(within=120)
            yield ScratchSystem(
                supervisor=supervisor,
                env=env,
                dsns=dsns,
                base_url=f"http://127.0.0.1:{env['GATEWAY_PORT']}",
            )
        finally:
            await supervisor.stop(grace=10)
    finally:
        for dsn in dsns.values():
            name = dsn.rsplit("/", 1)[1]
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

"""`python -m tft_launcher` (behind `make run`): stores, databases, seed, six services, ready.

Order: secrets → PostgreSQL (embedded unless POSTGRES_DSN) and Redis (embedded unless
REDIS_URL), started together → databases auth/chat/product → five services start while the
catalog seeds → product-service → wait for every health check → "ready". Ctrl-C/SIGTERM stops
the services first, then the stores. A child that dies stops everything, with a message naming
it and its log.
"""

import asyncio
import contextlib
import fcntl
import importlib.util
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import urlsplit

import asyncpg
import redis.asyncio as redis
from pydantic import ValidationError

from tft_launcher.embedded_postgres import EmbeddedPostgres
from tft_launcher.embedded_redis import EmbeddedRedis
from tft_launcher.processes import ChildExited, StartupError, Supervisor, run_to_completion
from tft_launcher.secrets import load_or_create_secrets
from tft_launcher.services import (
    DATABASES,
    GATEWAY,
    Service,
    by_names,
    service_env,
    service_specs,
)
from tft_launcher.services import seed_spec as product_seed_spec
from tft_launcher.settings import LauncherSettings, repo_root
from tftkit.postgres import ensure_database, with_database

T = TypeVar("T")

# Extensions the product catalog's search uses; trusted extensions, but the launcher holds
# the superuser DSN, so it creates them up front for services that connect as plain owners.
_PRODUCT_EXTENSIONS = ("pg_trgm", "unaccent")


_T0 = time.monotonic()


def say(message: str) -> None:
    """One launcher line, stamped with the seconds since start (the figures in the README)."""
    print(f"[launcher {time.monotonic() - _T0:6.1f}s] {message}", flush=True)


class Stopped(Exception):
    """Ctrl-C or SIGTERM arrived before the awaited step finished."""


async def until_stopped(stopping: asyncio.Event, step: Awaitable[T]) -> T:
    """Awaits `step` unless a stop is requested first (then the step is cancelled)."""
    work = asyncio.ensure_future(step)
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if work.done():
        return work.result()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await work
    raise Stopped


async def watching(group: Supervisor, step: Awaitable[T]) -> T:
    """Awaits `step`, but fails at once if a child of `group` exits meanwhile."""
    work = asyncio.ensure_future(step)
    death = asyncio.ensure_future(group.wait_any_exit())
    try:
        await asyncio.wait({work, death}, return_when=asyncio.FIRST_COMPLETED)
        if work.done():
            return work.result()
        raise ChildExited(death.result())
    finally:
        for task in (work, death):
            task.cancel()
        await asyncio.gather(work, death, return_exceptions=True)


async def prepare_databases(server_dsn: str) -> None:
    for name in DATABASES:
        if await ensure_database(server_dsn, name):
            say(f"created database {name}")
    conn = await asyncpg.connect(with_database(server_dsn, "product"), timeout=10)
    try:
        for extension in _PRODUCT_EXTENSIONS:
            try:
                await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            except asyncpg.PostgresError as error:  # a managed server may not offer it
                say(f"warning: extension {extension} not created in product: {error}")
    finally:
        await conn.close()


def lock_state_dir(state_dir: Path) -> IO[str]:
    """Holds `launcher.lock` for this process's life: one launcher per state folder.

    A second launcher on the same folder would find PostgreSQL's data in use (and must not stop
    it as a leftover). The lock goes with the process, however it ends.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    handle = (state_dir / "launcher.lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise StartupError(
            f"another launcher (pid {holder}) is running with {state_dir}; stop it first, or "
            "give this one its own TFT_STATE_DIR and ports"
        ) from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def check_importable(modules: list[str]) -> None:
    missing = [m for m in modules if importlib.util.find_spec(f"{m}.__main__") is None]
    if missing:
        raise StartupError(
            f"not runnable yet (no {', '.join(m + '.__main__' for m in missing)}); "
            "run `make install`, or start a subset with TFT_SERVICES=name,name"
        )


async def all_or_nothing(*steps: Awaitable[T]) -> list[T]:
    """Runs steps concurrently; when one fails the others are cancelled, then it is raised."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def check_redis(url: str) -> None:
    client = redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as error:
        where = urlsplit(url).netloc.rsplit("@", 1)[-1]
        raise StartupError(f"REDIS_URL ({where}) does not answer: {error}") from error
    finally:
        await client.aclose()


async def start_stores(
    settings: LauncherSettings,
    secrets: dict[str, str],
    cleanup: contextlib.AsyncExitStack,
    stopping: asyncio.Event,
) -> tuple[str, str]:
    """The server DSN and Redis URL: the given ones, or embedded servers' (stopped on exit)."""
    server_dsn, redis_url = settings.postgres_dsn, settings.redis_url
    steps: list[Awaitable[str | None]] = []
    pg: EmbeddedPostgres | None = None
    rd: EmbeddedRedis | None = None
    if not server_dsn:
        pg = EmbeddedPostgres(
            settings.state_dir / "postgres",
            port=settings.embedded_postgres_port,
            password=secrets["TFT_EMBEDDED_POSTGRES_PASSWORD"],
            log_dir=settings.log_dir,
            os_user=settings.postgres_os_user,
        )
        cleanup.push_async_callback(pg.stop)
        steps.append(pg.start(within=settings.store_start_timeout_seconds))
    if not redis_url:
        rd = EmbeddedRedis(
            settings.state_dir / "redis",
            port=settings.embedded_redis_port,
            password=secrets["TFT_EMBEDDED_REDIS_PASSWORD"],
            log_dir=settings.log_dir,
        )
        cleanup.push_async_callback(rd.stop)
        steps.append(rd.start(within=settings.store_start_timeout_seconds))
    else:
        steps.append(check_redis(redis_url))
    results = iter(await until_stopped(stopping, all_or_nothing(*steps)))
    if pg is not None:
        server_dsn = str(next(results))
        say(f"embedded PostgreSQL 18 on 127.0.0.1:{pg.port} (data in {pg.data_dir})")
    if rd is not None:
        redis_url = str(next(results))
        say(f"embedded Redis (Valkey) on 127.0.0.1:{rd.port} (data in {rd.data_dir})")
    try:
        await until_stopped(stopping, prepare_databases(server_dsn))
    except (OSError, asyncpg.PostgresError) as error:
        where = urlsplit(server_dsn).netloc.rsplit("@", 1)[-1]
        raise StartupError(f"cannot prepare the databases on {where}: {error}") from error
    return server_dsn, redis_url


async def start_services(
    settings: LauncherSettings,
    services: list[Service],
    env: dict[str, str],
    cleanup: contextlib.AsyncExitStack,
    stopping: asyncio.Event,
) -> Supervisor:
    """Starts the services (the others boot while the catalog seeds) and waits for health."""
    console = sys.stdout if settings.log_to_console else None
    group = Supervisor(
        env=env, log_dir=settings.log_dir, cwd=repo_root(), console=console, label_width=16
    )

    async def stop_services() -> None:
        await group.stop(settings.stop_grace_seconds)
        if killed := [c.name for c in group.children if c.killed]:
            grace = settings.stop_grace_seconds
            say(f"killed after {grace:.0f} s without stopping: {', '.join(killed)}")

    cleanup.push_async_callback(stop_services)
    # The seed only concerns product-service: the others boot meanwhile (on a first run the
    # seed draws thousands of images; every service spends seconds on its imports).
    seeding = [s for s in services if s.name == "product-service"]
    await group.start(service_specs([s for s in services if s not in seeding], env))
    if seeding:
        say("seeding the demo catalog if empty (log: product-seed.log)")
        seed = run_to_completion(
            product_seed_spec(),
            env=env,
            log_dir=settings.log_dir,
            within=settings.seed_timeout_seconds,
            cwd=repo_root(),
            # Its progress on the console too: a first seed draws images for a while.
            prefix=f"{'product-seed':<16} | " if console else None,
        )
        await until_stopped(stopping, watching(group, seed))
        await group.start(service_specs(seeding, env))
    say(f"started {', '.join(c.name for c in group.children)}; waiting for health")
    healthy = group.wait_healthy(
        within=settings.startup_timeout_seconds,
        on_healthy=lambda child: say(f"{child.name} is healthy"),
    )
    await until_stopped(stopping, healthy)
    return group


async def launch(settings: LauncherSettings, stopping: asyncio.Event) -> int:
    """Brings everything up, reports ready, runs until stopped; raises on any failure."""
    services = by_names(settings.selected())
    check_importable([s.module for s in services])
    lock = lock_state_dir(settings.state_dir)
    secrets = load_or_create_secrets(settings.secrets_file)
    say(f"state in {settings.state_dir}; logs in {settings.log_dir}/<name>.log")

    async with contextlib.AsyncExitStack() as cleanup:
        cleanup.callback(lock.close)  # released last, after every child has stopped
        cleanup.callback(say, "all processes stopped")
        server_dsn, redis_url = await start_stores(settings, secrets, cleanup, stopping)
        env = service_env(
            server_dsn=server_dsn,
            redis_url=redis_url,
            state_dir=settings.state_dir,
            secrets=secrets,
            environ=dict(os.environ),
        )
        group = await start_services(settings, services, env, cleanup, stopping)

        elapsed = time.monotonic() - _T0
        if GATEWAY in services:
            url = f"http://127.0.0.1:{GATEWAY.port_in(env)}"
            say(f"TheFirstTake is ready at {url} ({elapsed:.1f} s)")
        else:
            say(f"{len(services)} service(s) ready ({elapsed:.1f} s); the gateway was not started")
        say("Ctrl-C stops everything")
        try:
            dead = await until_stopped(stopping, group.wait_any_exit())
        except Stopped:
            say("stopping")
            return 0
        raise ChildExited(dead, when="while running")


def main() -> int:
    # Libraries' own INFO lines (httpx logs every health probe) would drown the launcher's.
    logging.basicConfig(level=logging.WARNING, format="[launcher] %(name)s: %(message)s")
    try:
        settings = LauncherSettings()
    except ValidationError as error:
        say(f"error: invalid launcher settings (TFT_*, POSTGRES_DSN, REDIS_URL):\n{error}")
        return 2

    async def run() -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            return await launch(settings, stopping)
        except Stopped:
            say("stopped before everything was ready")
            return 130
        except (StartupError, ValueError, OSError, asyncpg.PostgresError) as error:
            say(f"error: {error}")
            return 1

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())

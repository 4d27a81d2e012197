"""PostgreSQL: connection pools, database creation and a versioned-SQL migration runner.

The runner is hand-written on purpose: each service owns a folder of numbered `.sql` files
applied in order, each in its own transaction, recorded in `schema_migrations`, under an
advisory lock so replicas starting together apply each file once. Alembic would add
SQLAlchemy to services that speak asyncpg only.

Every pool `connect_pool` opens is metered (the seed's HikariCP gauges, per database):
`db_connection_pool_active` and `db_connection_pool_pending` are read on scrape,
`db_connection_acquisition_duration` times each wait for a connection, and
`db_transaction_duration` each `conn.transaction()` block, because the pool hands out
`MeteredConnection`s; services get all four without code of their own.
"""

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolAcquireContext
from prometheus_client import Gauge, Histogram

log = logging.getLogger(__name__)

# Arbitrary constant shared by every service: migrations of one database never run twice at once.
_MIGRATION_LOCK_KEY = 0x7F1A57

DB_POOL_SIZE = Gauge("db_connection_pool_size", "Connections open in the pool", ["database"])
DB_POOL_IDLE = Gauge("db_connection_pool_idle", "Idle connections in the pool", ["database"])
DB_POOL_ACTIVE = Gauge(
    "db_connection_pool_active", "Connections lent out by the pool now", ["database"]
)
DB_POOL_PENDING = Gauge(
    "db_connection_pool_pending", "Callers waiting for a connection from the pool", ["database"]
)
DB_ACQUISITION = Histogram(
    "db_connection_acquisition_duration",
    "Seconds from asking the pool for a connection to holding one",
    ["database"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_TRANSACTION = Histogram(
    "db_transaction_duration",
    "Seconds from BEGIN to COMMIT or ROLLBACK of an outermost transaction, by outcome",
    ["database", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def with_database(dsn: str, database: str) -> str:
    """The same server DSN pointed at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def database_name(dsn: str) -> str:
    """The database a DSN names."""
    return urlsplit(dsn).path.lstrip("/")


async def ensure_database(server_dsn: str, database: str) -> bool:
    """Creates `database` on the server unless it exists; True when it was created."""
    conn = await asyncpg.connect(server_dsn, timeout=10)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        # Identifiers cannot be bound as parameters; quote it as PostgreSQL would.
        await conn.execute(f'CREATE DATABASE "{database.replace(chr(34), chr(34) * 2)}"')
        return True
    finally:
        await conn.close()


class _OpenPools:
    """The open pools of this process per database; the gauges sum over them on scrape.

    Scrapes run on the metrics server's thread while pools open and close on the event loop,
    hence the lock. Summing keeps the gauges right when one process opens several pools on one
    database (tools, tests), where one pool's callback would replace another's.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, list[asyncpg.Pool]] = {}

    def add(self, database: str, pool: asyncpg.Pool) -> None:
        with self._lock:
            first = database not in self._pools
            self._pools.setdefault(database, []).append(pool)
        if first:
            DB_POOL_SIZE.labels(database).set_function(lambda: self._sum(database, _size))
            DB_POOL_IDLE.labels(database).set_function(lambda: self._sum(database, _idle))
            DB_POOL_ACTIVE.labels(database).set_function(lambda: self._sum(database, _active))
            # The other series exist from the start at zero, so a rate or an alert on them
            # has a value before the first wait or transaction.
            DB_POOL_PENDING.labels(database)
            DB_ACQUISITION.labels(database)
            for outcome in ("commit", "rollback"):
                DB_TRANSACTION.labels(database, outcome)

    def remove(self, database: str, pool: asyncpg.Pool) -> None:
        with self._lock:
            pools = self._pools.get(database, [])
            if pool in pools:
                pools.remove(pool)

    def _sum(self, database: str, measure: Callable[[asyncpg.Pool], int]) -> float:
        with self._lock:
            pools = list(self._pools.get(database, []))
        return float(sum(measure(pool) for pool in pools))


def _size(pool: asyncpg.Pool) -> int:
    return pool.get_size()


def _idle(pool: asyncpg.Pool) -> int:
    return pool.get_idle_size()


def _active(pool: asyncpg.Pool) -> int:
    # A connected holder is either idle or lent out; the pool has no counter of its own.
    return pool.get_size() - pool.get_idle_size()


_OPEN_POOLS = _OpenPools()


class _TimedTransaction:
    """Wraps asyncpg's Transaction: an outermost block observes its time, BEGIN to the end.

    Savepoints (nested blocks) are not observed on their own: their time is inside the outer
    transaction's, and counting them would double it.
    """

    def __init__(self, inner: Any, connection: "MeteredConnection") -> None:
        self._inner = inner
        self._connection = connection
        self._started: float | None = None

    async def start(self) -> None:
        await self._begin(self._inner.start())

    async def commit(self) -> None:
        await self._end(self._inner.commit(), "commit")

    async def rollback(self) -> None:
        await self._end(self._inner.rollback(), "rollback")

    async def __aenter__(self) -> None:
        await self._begin(self._inner.__aenter__())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        outcome = "commit" if exc_type is None else "rollback"
        await self._end(self._inner.__aexit__(exc_type, exc, tb), outcome)

    async def _begin(self, beginning: Awaitable[Any]) -> None:
        outermost = not self._connection.is_in_transaction()
        began = time.perf_counter()
        await beginning
        if outermost:
            self._started = began

    async def _end(self, ending: Awaitable[Any], outcome: str) -> None:
        try:
            await ending
        except BaseException:
            # A failed COMMIT leaves nothing committed; a refused call (commit() inside
            # `async with`) leaves the transaction open, and it is observed when it ends.
            outcome = "rollback"
            raise
        finally:
            if self._started is not None and not self._connection.is_in_transaction():
                DB_TRANSACTION.labels(self._connection.metrics_label, outcome).observe(
                    time.perf_counter() - self._started
                )
                self._started = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class MeteredConnection(asyncpg.Connection):
    """A connection whose `transaction()` blocks are timed as `db_transaction_duration`.

    Pools hand out proxies that call the connection class's own methods, so every
    `async with conn.transaction():` of a service is timed without any change to it.
    """

    metrics_label = "unknown"

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> Any:
        inner = super().transaction(isolation=isolation, readonly=readonly, deferrable=deferrable)
        return _TimedTransaction(inner, self)


class _TimedAcquire:
    """`pool.acquire()` that counts its caller as pending and times the wait.

    Both ways asyncpg offers, `async with pool.acquire()` and `await pool.acquire()`, and the
    pool's own fetch/execute shortcuts (which use `acquire()`) come through here.
    """

    def __init__(self, pool: "MeteredPool", inner: PoolAcquireContext) -> None:
        self._pool = pool
        self._inner = inner

    async def __aenter__(self) -> Any:
        return await self._pool.timed_wait(self._inner.__aenter__())

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.__aexit__(*exc)

    def __await__(self) -> Generator[Any, None, Any]:
        return self._pool.timed_wait(_awaiting(self._inner)).__await__()


async def _awaiting(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class MeteredPool(asyncpg.Pool):
    """asyncpg's pool, recording pending callers and acquisition time per database."""

    def __init__(self, *connect_args: Any, metrics_label: str, **kwargs: Any) -> None:
        super().__init__(*connect_args, **kwargs)
        self.metrics_label = metrics_label

    def acquire(self, *, timeout: float | None = None) -> Any:
        return _TimedAcquire(self, super().acquire(timeout=timeout))

    async def timed_wait(self, getting: Awaitable[Any]) -> Any:
        pending = DB_POOL_PENDING.labels(self.metrics_label)
        pending.inc()
        began = time.perf_counter()
        try:
            connection = await getting
        finally:
            pending.dec()
        # Only successful waits: a refused or timed-out acquire has no connection to time.
        DB_ACQUISITION.labels(self.metrics_label).observe(time.perf_counter() - began)
        return connection


@asynccontextmanager
async def connect_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10
) -> AsyncIterator[asyncpg.Pool]:
    """A metered pool (see the module's docstring), labelled by its database; closed on exit."""
    name = database_name(dsn)

    async def label(connection: asyncpg.Connection) -> None:
        # Each new connection learns its database once, for db_transaction_duration's label.
        connection.metrics_label = name

    async def reset(connection: asyncpg.Connection) -> None:
        # asyncpg's default reset runs one query (unlock, close, unlisten, reset all) on every
        # release: a transaction of its own each time a connection goes back. The services
        # keep no session state (no LISTEN, SET or held advisory lock past its block), so
        # only an abandoned transaction needs undoing.
        if connection.is_in_transaction():
            await connection.execute("ROLLBACK")

    # asyncpg.create_pool() builds a plain Pool; the subclass takes the same arguments.
    pool = MeteredPool(
        dsn,
        metrics_label=name,
        min_size=min_size,
        max_size=max_size,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        init=label,
        reset=reset,
        connection_class=MeteredConnection,
        record_class=asyncpg.Record,
        timeout=10,
        command_timeout=30,
    )
    await pool
    _OPEN_POOLS.add(name, pool)
    try:
        yield pool
    finally:
        _OPEN_POOLS.remove(name, pool)
        await pool.close()


async def apply_migrations(pool: asyncpg.Pool, directory: Path) -> list[str]:
    """Applies the new `*.sql` files of `directory` in name order; returns their versions."""
    files = sorted(directory.glob("*.sql"))
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for path in files:
                if path.stem in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text(encoding="utf-8"))
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", path.stem
                    )
                log.info("applied migration", extra={"fields": {"version": path.stem}})
                applied_now.append(path.stem)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
    return applied_now

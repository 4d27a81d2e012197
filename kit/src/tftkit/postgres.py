"""PostgreSQL: connection pools, database creation and a versioned-SQL migration runner.

The runner is hand-written on purpose: each service owns a folder of numbered `.sql` files
applied in order, each in its own transaction, recorded in `schema_migrations`, under an
advisory lock so replicas starting together apply each file once. Alembic would add
SQLAlchemy to services that speak asyncpg only.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from prometheus_client import Gauge

log = logging.getLogger(__name__)

# Arbitrary constant shared by every service: migrations of one database never run twice at once.
_MIGRATION_LOCK_KEY = 0x7F1A57

DB_POOL_SIZE = Gauge("db_pool_connections", "Connections open in the pool", ["database"])
DB_POOL_IDLE = Gauge("db_pool_connections_idle", "Idle connections in the pool", ["database"])


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


@asynccontextmanager
async def connect_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10
) -> AsyncIterator[asyncpg.Pool]:
    """A pool that exports its size as gauges and is closed on exit."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, timeout=10, command_timeout=30
    )
    name = database_name(dsn)
    DB_POOL_SIZE.labels(name).set_function(pool.get_size)
    DB_POOL_IDLE.labels(name).set_function(pool.get_idle_size)
    try:
        yield pool
    finally:
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

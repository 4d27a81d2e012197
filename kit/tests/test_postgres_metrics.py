"""The pool metrics of every service (the seed's HikariCP set), against the real PostgreSQL.

Each test does the thing and reads the sample before and after: a metric that is only
registered, or recorded somewhere else, does not pass.
"""

import asyncio

import asyncpg
import pytest
from prometheus_client import REGISTRY

from tftkit.postgres import connect_pool, database_name
from tftkit.testing import scratch_database


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def wait_until(condition, within: float = 5.0) -> None:
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_every_way_of_taking_a_connection_is_timed_and_counted_active():
    async with scratch_database("kit_metrics") as dsn, connect_pool(dsn, max_size=2) as pool:
        db = database_name(dsn)
        waits = sample("db_connection_acquisition_duration_count", database=db)
        assert sample("db_connection_pool_active", database=db) == 0

        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT 1") == 1
            assert sample("db_connection_pool_active", database=db) == 1
        assert sample("db_connection_pool_active", database=db) == 0

        held = await pool.acquire()  # the other form asyncpg offers
        assert sample("db_connection_pool_active", database=db) == 1
        await pool.release(held)

        assert await pool.fetchval("SELECT 2") == 2  # the pool's shortcuts acquire too
        assert sample("db_connection_acquisition_duration_count", database=db) == waits + 3
        assert sample("db_connection_pool_active", database=db) == 0
        assert sample("db_connection_pool_size", database=db) >= 1


async def test_a_caller_waiting_for_a_full_pool_is_pending_and_its_wait_is_timed():
    async with scratch_database("kit_metrics") as dsn, connect_pool(dsn, max_size=1) as pool:
        db = database_name(dsn)
        waited = sample("db_connection_acquisition_duration_sum", database=db)
        holder = await pool.acquire()
        waiter = asyncio.create_task(pool.fetchval("SELECT 3"))
        await wait_until(lambda: sample("db_connection_pool_pending", database=db) == 1)
        assert sample("db_connection_pool_active", database=db) == 1
        await asyncio.sleep(0.2)
        await pool.release(holder)
        assert await waiter == 3
        assert sample("db_connection_pool_pending", database=db) == 0
        # The waiter's acquisition took at least the time the connection was held elsewhere.
        assert sample("db_connection_acquisition_duration_sum", database=db) - waited >= 0.2


async def test_a_waiter_that_gives_up_is_no_longer_pending():
    async with scratch_database("kit_metrics") as dsn, connect_pool(dsn, max_size=1) as pool:
        db = database_name(dsn)
        holder = await pool.acquire()
        with pytest.raises(asyncio.TimeoutError):
            async with pool.acquire(timeout=0.1):
                pass
        assert sample("db_connection_pool_pending", database=db) == 0
        await pool.release(holder)


async def test_transactions_are_timed_by_outcome_and_savepoints_are_not_counted_twice():
    async with scratch_database("kit_metrics") as dsn, connect_pool(dsn) as pool:
        db = database_name(dsn)
        await pool.execute("CREATE TABLE t (x int)")
        commits = sample("db_transaction_duration_count", database=db, outcome="commit")
        rollbacks = sample("db_transaction_duration_count", database=db, outcome="rollback")
        slow = sample("db_transaction_duration_sum", database=db, outcome="commit")

        # The form the services use: `async with pool.acquire() as conn, conn.transaction()`.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO t VALUES (1)")
            await conn.execute("SELECT pg_sleep(0.1)")
            async with conn.transaction():  # a savepoint inside the same transaction
                await conn.execute("INSERT INTO t VALUES (2)")
        assert sample("db_transaction_duration_count", database=db, outcome="commit") == commits + 1
        assert sample("db_transaction_duration_sum", database=db, outcome="commit") - slow >= 0.1

        with pytest.raises(RuntimeError):
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("INSERT INTO t VALUES (3)")
                raise RuntimeError("changed my mind")
        assert sample("db_transaction_duration_count", database=db, outcome="rollback") == (
            rollbacks + 1
        )

        async with pool.acquire() as conn:  # started and ended by hand
            transaction = conn.transaction()
            await transaction.start()
            await conn.execute("INSERT INTO t VALUES (4)")
            await transaction.commit()
        assert sample("db_transaction_duration_count", database=db, outcome="commit") == commits + 2
        assert sorted(r["x"] for r in await pool.fetch("SELECT x FROM t")) == [1, 2, 4]


async def test_asyncpg_guards_still_hold_and_a_refused_commit_is_not_an_end():
    async with scratch_database("kit_metrics") as dsn, connect_pool(dsn) as pool:
        db = database_name(dsn)
        commits = sample("db_transaction_duration_count", database=db, outcome="commit")
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            async with transaction:
                with pytest.raises(asyncpg.InterfaceError):
                    await transaction.commit()
                assert conn.is_in_transaction()
                assert sample("db_transaction_duration_count", database=db, outcome="commit") == (
                    commits
                )
        assert sample("db_transaction_duration_count", database=db, outcome="commit") == (
            commits + 1
        )


async def test_two_pools_on_one_database_are_summed():
    async with (
        scratch_database("kit_metrics") as dsn,
        connect_pool(dsn) as first,
        connect_pool(dsn) as second,
    ):
        db = database_name(dsn)
        async with first.acquire(), second.acquire():
            assert sample("db_connection_pool_active", database=db) == 2
        assert sample("db_connection_pool_active", database=db) == 0
    # Closed pools no longer count.
    assert sample("db_connection_pool_size", database=db) == 0


async def test_a_released_connection_costs_no_query_unless_a_transaction_was_left_open():
    async with scratch_database("kit_reset") as dsn, connect_pool(dsn, max_size=1) as pool:
        async with pool.acquire() as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            await conn.execute("SET application_name = 'kept'")
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE left_open (x int)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
            # Left inside a transaction: the next borrower gets it rolled back ...
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('left_open')") is None
            # ... and nothing else was sent (asyncpg's default would RESET ALL: a query, and
            # a transaction, on every release).
            assert await conn.fetchval("SHOW application_name") == "kept"

import asyncpg
import pytest

from tft_launcher.embedded_postgres import EmbeddedPostgres
from tft_launcher.processes import StartupError

PASSWORD = "p" * 40


async def test_starts_on_loopback_with_trigram_search_and_keeps_data(tmp_path, free_port):
    port = free_port()
    pg = EmbeddedPostgres(tmp_path / "pg", port=port, password=PASSWORD, log_dir=tmp_path)
    dsn = await pg.start()
    try:
        assert f"@127.0.0.1:{port}/" in dsn
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            assert await conn.fetchval("SHOW server_version_num") >= "180000"
            await conn.execute("CREATE EXTENSION pg_trgm")
            # Hangul must be split into trigrams (needs a Unicode-aware locale provider).
            assert await conn.fetchval("SELECT similarity('흰색 운동화', '운동화')") > 0.3
            await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('청바지')")
            cluster = await conn.fetchval("SELECT system_identifier FROM pg_control_system()")
        finally:
            await conn.close()
    finally:
        await pg.stop()
    assert pg.child is None

    again = EmbeddedPostgres(tmp_path / "pg", port=port, password=PASSWORD, log_dir=tmp_path)
    dsn = await again.start()
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            assert await conn.fetchval("SELECT v FROM kept") == "청바지"
            # The same cluster, not a new initdb.
            same = await conn.fetchval("SELECT system_identifier FROM pg_control_system()")
            assert same == cluster
        finally:
            await conn.close()
    finally:
        await again.stop()


async def test_refuses_to_start_with_another_password(tmp_path, free_port):
    port = free_port()
    pg = EmbeddedPostgres(tmp_path / "pg", port=port, password=PASSWORD, log_dir=tmp_path)
    await pg.start()
    await pg.stop()
    wrong = EmbeddedPostgres(tmp_path / "pg", port=port, password="w" * 40, log_dir=tmp_path)
    with pytest.raises(StartupError, match="refuses the password"):
        await wrong.start(within=20)
    assert wrong.child is None

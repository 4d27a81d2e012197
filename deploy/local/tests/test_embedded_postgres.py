import os
import pwd
import shutil
import subprocess
import sys

import asyncpg
import pytest

from tft_launcher.embedded_postgres import EmbeddedPostgres
from tft_launcher.processes import ChildExited, StartupError

PASSWORD = "p" * 40
NOBODY = pwd.getpwnam("nobody")


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


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root to become an unprivileged user",
)
def test_runs_for_a_normal_user_too(tmp_path, free_port):
    """The non-root path (no setpriv): the launcher's code run by `nobody` in its own folder."""
    home = tmp_path / "nobody"
    home.mkdir()
    os.chown(home, NOBODY.pw_uid, NOBODY.pw_gid)
    script = (
        "import asyncio, asyncpg\n"
        "from pathlib import Path\n"
        "from tft_launcher.embedded_postgres import EmbeddedPostgres\n"
        "async def main():\n"
        f"    pg = EmbeddedPostgres(Path({str(home)!r}) / 'pg', port={free_port()},\n"
        f"                          password={PASSWORD!r}, log_dir=Path({str(home)!r}))\n"
        "    dsn = await pg.start()\n"
        "    conn = await asyncpg.connect(dsn, timeout=10)\n"
        "    print('user', await conn.fetchval('SELECT current_user'), flush=True)\n"
        "    await conn.close()\n"
        "    await pg.stop()\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY.pw_uid}",
            f"--regid={NOBODY.pw_gid}",
            "--clear-groups",
            # Only so `nobody` can reach this checkout's interpreter (e.g. under /root); the
            # code under test sees a plain non-root user.
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
            sys.executable,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "user postgres" in result.stdout
    # Owned by the user who ran it: no chown to another account happened.
    assert (home / "pg").stat().st_uid == NOBODY.pw_uid


async def test_a_port_held_by_another_server_is_not_mistaken_for_ours(tmp_path, free_port):
    port = free_port()
    first = EmbeddedPostgres(tmp_path / "a", port=port, password=PASSWORD, log_dir=tmp_path / "la")
    await first.start()
    try:
        second = EmbeddedPostgres(tmp_path / "b", port=port, password=PASSWORD, log_dir=tmp_path)
        with pytest.raises(ChildExited, match="postgres exited"):
            await second.start(within=30)
        assert "could not bind" in (tmp_path / "postgres.log").read_text()
    finally:
        await first.stop()

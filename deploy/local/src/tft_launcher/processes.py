"""Child processes: start, log, wait until healthy, notice deaths, stop gracefully.

Written on asyncio subprocesses rather than a process manager (honcho, supervisor): we need
per-child readiness probes, "a child died during startup" as an error, and ordered shutdown,
which those do not combine. Every child:

- runs in its own session, so a terminal's Ctrl-C reaches only the launcher, which then stops
  services before the stores they use;
- gets a parent-death signal, so a launcher killed with SIGKILL leaves no orphans behind;
- writes its stdout+stderr straight into `<log_dir>/<name>.log`, which the launcher may echo
  with a `name |` prefix.
"""

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tft_launcher import GRPC_FORK_FLAG, SET_GRPC_FORK_FLAG
from tft_launcher.health import Probe

_PR_SET_PDEATHSIG = 1
# Looked up once here: between fork and exec (with other threads around) only the call is made.
# Linux only; elsewhere children of a killed launcher must be stopped by hand.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
_COLOURS = ("36", "33", "35", "32", "34", "31", "96", "93")


@dataclass(frozen=True)
class ProcessSpec:
    """What to run: a name (also its log file), argv, extra env and how to tell it is ready."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    probe: Probe | None = None
    # PostgreSQL's fast shutdown is SIGINT; everything else stops on SIGTERM.
    stop_signal: int = signal.SIGTERM


class StartupError(RuntimeError):
    """Something did not come up; the message says what and where to look."""


class ChildExited(StartupError):
    def __init__(self, child: "Child", when: str = "during startup") -> None:
        self.child = child
        super().__init__(
            f"{child.name} exited with code {child.returncode}{' ' + when if when else ''}; "
            f"its log is {child.log_path}\n--- last lines of {child.log_path.name} ---\n"
            f"{child.tail()}"
        )


class StartupTimeout(StartupError):
    def __init__(self, child: "Child", seconds: float) -> None:
        self.child = child
        super().__init__(
            f"{child.name} was not healthy after {seconds:.0f} s; its log is {child.log_path}\n"
            f"--- last lines of {child.log_path.name} ---\n{child.tail()}"
        )


def _set_parent_death_signal(sig: int) -> None:
    """Runs in the child between fork and exec: die with `sig` when the launcher dies."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)


class Child:
    """One running process and the task copying its output to its log."""

    def __init__(self, spec: ProcessSpec, process: asyncio.subprocess.Process, log_path: Path):
        self.spec = spec
        self.name = spec.name
        self.process = process
        self.log_path = log_path
        # True when it ignored its stop signal for the whole grace period and was SIGKILLed.
        self.killed = False
        self._pump: asyncio.Task[None] | None = None  # the console echo, if any

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def wait(self) -> int:
        code = await self.process.wait()
        if self._pump is not None:
            # The pipe closes when the process (and any child holding it) is gone.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._pump), 5)
        return code

    async def stop(self, grace: float) -> int:
        """Sends the stop signal, then SIGKILL after `grace` seconds; returns the exit code."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(self.spec.stop_signal)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                self.killed = True
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await asyncio.wait_for(self.process.wait(), 10)
        return await self.wait()

    def tail(self, lines: int = 25) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 16384))
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


async def _echo_log(
    log_path: Path,
    offset: int,
    process: asyncio.subprocess.Process,
    prefix: str,
    console: IO[str],
) -> None:
    """Echoes what the child appends to its log, line by line, until it has exited.

    The child writes to the file itself (not to a pipe we must drain): its output never blocks
    on us and never breaks when the launcher dies before it does.
    """
    pending = b""
    with log_path.open("rb") as log:
        log.seek(offset)
        while True:
            exited = process.returncode is not None
            chunk = log.read(65536)
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    console.write(f"{prefix}{line.decode('utf-8', 'replace')}\n")
                console.flush()
                continue
            if exited:  # read once more after the exit was seen: nothing is lost
                break
            await asyncio.sleep(0.1)
    if pending:
        console.write(f"{prefix}{pending.decode('utf-8', 'replace')}\n")


async def spawn(
    spec: ProcessSpec,
    *,
    env: Mapping[str, str],
    log_dir: Path,
    cwd: Path | None = None,
    prefix: str | None = None,
    console: IO[str] = sys.stdout,
) -> Child:
    """Starts `spec` with `env` + `spec.env`; its output goes to `<log_dir>/<name>.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}.log"
    child_env = {**env, **spec.env}
    if SET_GRPC_FORK_FLAG and GRPC_FORK_FLAG not in spec.env:
        child_env.pop(GRPC_FORK_FLAG, None)
    with log_path.open("ab") as log:  # the child keeps its own descriptor (O_APPEND)
        offset = log.tell()
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            env=child_env,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=(lambda: _set_parent_death_signal(spec.stop_signal)) if _prctl else None,
        )
    child = Child(spec, process, log_path)
    if prefix is not None:
        child._pump = asyncio.create_task(_echo_log(log_path, offset, process, prefix, console))
    return child


async def wait_healthy(
    child: Child, *, within: float, interval: float = 0.25, probe: Probe | None = None
) -> None:
    """Returns once the child's probe says yes; raises if it exits first or time runs out."""
    probe = probe or child.spec.probe
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if child.returncode is not None:
            await child.wait()  # let its last output reach the log before we quote it
            raise ChildExited(child)
        if probe is None or await probe():
            return
        if loop.time() > deadline:
            raise StartupTimeout(child, within)
        await asyncio.sleep(interval)


async def run_to_completion(
    spec: ProcessSpec, *, env: Mapping[str, str], log_dir: Path, within: float, **kwargs
) -> None:
    """Runs a one-shot command (e.g. the catalog seed); raises unless it exits 0 in time."""
    child = await spawn(spec, env=env, log_dir=log_dir, **kwargs)
    try:
        code = await asyncio.wait_for(child.wait(), within)
    except asyncio.CancelledError:  # the caller gave up (Ctrl-C): do not leave it running
        await asyncio.shield(child.stop(5))
        raise
    except TimeoutError:
        await child.stop(5)
        raise StartupError(
            f"{spec.name} did not finish within {within:.0f} s; its log is {child.log_path}"
        ) from None
    if code != 0:
        raise ChildExited(child, when="")


class Supervisor:
    """A group of children started together and stopped together (in reverse start order)."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        log_dir: Path,
        cwd: Path | None = None,
        console: IO[str] | None = sys.stdout,
        label_width: int = 0,
    ) -> None:
        self.env = dict(env)
        self.label_width = label_width
        self.log_dir = log_dir
        self.cwd = cwd
        self.console = console
        self.children: list[Child] = []

    def _prefix(self, name: str, width: int) -> str | None:
        if self.console is None:
            return None
        label = f"{name:<{width}} | "
        if getattr(self.console, "isatty", lambda: False)():
            colour = _COLOURS[len(self.children) % len(_COLOURS)]
            return f"\033[{colour}m{label}\033[0m"
        return label

    async def start(self, specs: Sequence[ProcessSpec]) -> list[Child]:
        width = max([self.label_width, *(len(s.name) for s in specs)])
        started = []
        for spec in specs:
            child = await spawn(
                spec,
                env=self.env,
                log_dir=self.log_dir,
                cwd=self.cwd,
                prefix=self._prefix(spec.name, width),
                console=self.console or sys.stdout,
            )
            self.children.append(child)
            started.append(child)
        return started

    async def wait_healthy(
        self, *, within: float, on_healthy: Callable[[Child], None] | None = None
    ) -> None:
        """Waits for every child concurrently; the first failure stops the wait and is raised."""

        async def one(child: Child) -> None:
            await wait_healthy(child, within=within)
            if on_healthy is not None:
                on_healthy(child)

        tasks = [asyncio.create_task(one(c)) for c in self.children]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_any_exit(self) -> Child:
        """Returns the first child that exits (for watching a running system)."""
        if not self.children:
            await asyncio.Future()  # nothing can exit: wait until cancelled
        waits = {asyncio.create_task(c.process.wait()): c for c in self.children}
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            child = waits[next(iter(done))]
            await child.wait()
            return child
        finally:
            for task in waits:
                task.cancel()

    async def stop(self, grace: float = 10.0) -> None:
        """Stops every child at once (each: its stop signal, SIGKILL after `grace`)."""
        await asyncio.gather(*(c.stop(grace) for c in reversed(self.children)))


@contextlib.asynccontextmanager
async def running(
    specs: Sequence[ProcessSpec],
    *,
    env: Mapping[str, str],
    log_dir: Path,
    startup_timeout: float = 180.0,
    stop_grace: float = 10.0,
    cwd: Path | None = None,
    console: IO[str] | None = None,
) -> AsyncIterator[Supervisor]:
    """Starts `specs`, waits until all are healthy, yields, and stops them all on exit.

    The building block for end-to-end tests: `async with running(service_specs(env), env=env,
    log_dir=tmp_path) as group: ...`.
    """
    group = Supervisor(env=env, log_dir=log_dir, cwd=cwd, console=console)
    try:
        await group.start(specs)
        await group.wait_healthy(within=startup_timeout)
        yield group
    finally:
        await group.stop(stop_grace)

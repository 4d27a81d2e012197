"""`make bench-sse`: what an SSE turn costs the system, at scale.

Starts a slow OpenAI-compatible LLM (bench/slow_llm.py, its own process) and the whole system on
scratch databases (expert-service pointed at the slow LLM), then a lean raw-asyncio SSE client in
this process (outside the services) opens streams, each a new guest (fresh connection, no cookie).

    make bench-sse ARGS="--streams 300 --rate 50"
    make bench-sse ARGS="--engine offline"                 # 30 turns, 6 at a time, offline engine
    make bench-sse ARGS="--phase churn --cycles 2000"      # connect, first event, leave; N times
    make bench-sse ARGS="--phase dead-peer --streams 200"  # drop K sockets (FIN, then RST)
    make bench-sse ARGS="--phase silent-peer --streams 100"  # cut K peers off: no FIN, no RST
    make bench-sse ARGS="--phase relay --streams 20 --rate 4"  # gateway vs direct gRPC, per event
    ... --set CHAT_MAX_QUEUED_TURNS=5000 --set EXPERT_MAX_CONCURRENT_LLM_CALLS=2000

Reports errors by kind, streams open at peak, first event / first `content` p50/p99, RSS growth
per open stream, CPU seconds per process over the run (per delta and per turn), rows stored in
chat's database, and transactions per turn. The relay phase follows each turn through the
gateway and, at once, directly from chat-service (bench/sse_relay.py), and reports what the
gateway adds per event. The silent-peer phase (root, iproute2) opens the streams from a network
namespace (bench/silent_peer.py) and then sets its link down, so nothing at all comes back to
the gateway; like dead-peer it reports the seconds until `sse_connections_active` is back. The
gateway listens on 0.0.0.0 in that phase, so the namespace can reach it. Every run is appended
to bench/results/bench-sse.md.
"""

import argparse
import asyncio
import contextlib
import datetime
import json
import math
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import silent_peer  # noqa: E402
from bench_chat import committed_transactions  # noqa: E402
from bench_stream import QUESTIONS  # noqa: E402
from proc_stats import cpu_seconds, machine, pids_named, prometheus_values, rss_kib  # noqa: E402
from sse_load import Load, raise_fd_limit, summarize  # noqa: E402
from sse_relay import Relay, compare  # noqa: E402

from tft_launcher.scratch import free_port, scratch_system  # noqa: E402
from tft_launcher.services import with_redis_db  # noqa: E402
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL  # noqa: E402

PANEL = 4
RESULTS = ROOT / "bench" / "results" / "bench-sse.md"
SERVICES = ("gateway", "chat-service", "expert-service", "product-service", "auth-service")
RSS_OF = ("gateway", "chat-service", "expert-service")
SAME = "소개팅 코디 추천해줘"
_OWN_READS = 2


class Report:
    """Lines for the terminal and the results file at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def table(self, header: tuple[str, ...], rows: list[tuple]) -> None:
        self("| " + " | ".join(header) + " |")
        self("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self("| " + " | ".join(str(c) for c in row) + " |")
        self()


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


# -- the system ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def slow_llm(args: argparse.Namespace, log: Path):
    port = free_port()
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "slow_llm.py"),
            "--port",
            str(port),
            "--token-interval",
            str(args.token_interval),
            "--tokens",
            str(args.tokens),
            "--max-streaming",
            str(args.max_streaming),
            "--tool-style",
            args.tool_style,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/models")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield url, process
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


def overrides(args: argparse.Namespace, llm_url: str | None) -> dict[str, str]:
    values = {"CHAT_TURNS_PER_MINUTE": "0", "OTEL_SDK_DISABLED": "true"}
    if llm_url:
        values |= {
            "EXPERT_LLM_PROVIDER": "openai",
            "OPENAI_BASE_URL": llm_url,
            "OPENAI_API_KEY": "bench",
            "OPENAI_MODEL": "slow-llm",
        }
    else:
        values |= {"EXPERT_LLM_PROVIDER": "offline", "EXPERT_OFFLINE_DELTA_DELAY_SECONDS": "0"}
    if args.redis_max_connections:
        # redis-py reads pool options from the URL's query: a bench-side knob, no code change.
        # The services' bounded pool (64 by default, callers wait for a free connection).
        for prefix, db in (("CHAT", 1), ("EXPERT", 2)):
            url = with_redis_db(TEST_REDIS_URL, db)
            values[f"{prefix}_REDIS_URL"] = f"{url}?max_connections={args.redis_max_connections}"
    if args.phase == "silent-peer":
        # The clients connect from a network namespace, over a veth pair: the gateway must
        # listen there as well as on 127.0.0.1, where the launcher probes and the bench scrapes.
        values["GATEWAY_HOST"] = "0.0.0.0"
    for item in args.set:
        name, _, value = item.partition("=")
        values[name.strip()] = value
    return values


class Processes:
    """The pids measured: services (table), extras (Redis, PostgreSQL, slow LLM)."""

    def __init__(self, system, llm_pid: int | None) -> None:
        by_name = {c.spec.name: c.pid for c in system.supervisor.children}
        self.services = {name: by_name[name] for name in SERVICES if name in by_name}
        self.extras: dict[str, list[int]] = {
            "redis-server (machine-wide)": pids_named("redis-server"),
            "postgres, backends alive at start (machine-wide)": pids_named("postgres"),
        }
        if llm_pid:
            self.extras["slow LLM (bench/slow_llm.py)"] = [llm_pid]

    def cpu(self) -> dict[str, float]:
        values = {name: cpu_seconds(pid) for name, pid in self.services.items()}
        for name, pids in self.extras.items():
            values[name] = sum(cpu_seconds(p, descendants=False) for p in pids)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        values["bench process (client)"] = usage.ru_utime + usage.ru_stime
        return values

    def rss(self) -> dict[str, int]:
        return {name: rss_kib(self.services[name]) for name in RSS_OF if name in self.services}


async def quiet(procs: Processes, *, below: float = 0.15, within: float = 120.0) -> float:
    """Waits until the services together use less than `below` of a core over 2 s (product
    loads its models and embeds the catalog in the background after it is healthy); returns
    the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        before = sum(cpu_seconds(p) for p in procs.services.values())
        await asyncio.sleep(2)
        if sum(cpu_seconds(p) for p in procs.services.values()) - before < 2 * below:
            break
    return time.monotonic() - started


async def scrape(base_url: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{base_url}/actuator/prometheus")
        return prometheus_values(response.text)


async def stored(dsn: str, rooms: list[str], wait: float) -> dict:
    """Rows of these rooms' turns, once none is RUNNING (or `wait` seconds passed)."""
    ids = [int(r) for r in rooms]
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            running = await conn.fetchval(
                "SELECT count(*) FROM turns WHERE room_id = ANY($1) AND status = 'RUNNING'", ids
            )
            if not running:
                break
            await asyncio.sleep(1)
        return dict(
            await conn.fetchrow(
                """
                SELECT
                  (SELECT count(*) FROM turns WHERE room_id = ANY($1)) AS turns,
                  (SELECT count(*) FROM turns WHERE room_id = ANY($1)
                    AND status = 'COMPLETED') AS completed,
                  (SELECT count(*) FROM turns WHERE room_id = ANY($1)
                    AND status = 'FAILED') AS failed,
                  (SELECT count(*) FROM turns WHERE room_id = ANY($1)
                    AND status = 'RUNNING') AS running,
                  (SELECT count(*) FROM messages WHERE room_id = ANY($1)
                    AND message_type = 'USER') AS users,
                  (SELECT count(*) FROM messages WHERE room_id = ANY($1)
                    AND message_type = 'AI') AS answers,
                  (SELECT count(*) - count(DISTINCT (turn_id, agent_type)) FROM messages
                    WHERE room_id = ANY($1) AND message_type = 'AI') AS duplicates,
                  (SELECT count(*) FROM turns t WHERE room_id = ANY($1) AND
                    (SELECT count(*) FROM messages m WHERE m.turn_id = t.id
                      AND m.message_type = 'AI') <> $2) AS incomplete
                """,
                ids,
                PANEL,
            )
        )
    finally:
        await conn.close()


async def settle(dsn: str, wait: float = 120) -> None:
    """Until no turn at all is RUNNING (the warm-up, a previous phase)."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not await conn.fetchval("SELECT count(*) FROM turns WHERE status = 'RUNNING'"):
                return
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


# -- phases ----------------------------------------------------------------------------------


async def run_streams(load: Load, args: argparse.Namespace, procs: Processes) -> dict:
    """N streams at `rate` per second (or `concurrency` at a time); samples RSS while open."""
    samples: list[tuple[int, dict[str, int]]] = []
    done = asyncio.Event()

    async def sampler() -> None:
        while not done.is_set():
            samples.append((load.open, procs.rss()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), args.sample_interval)

    def question(i: int) -> str:
        return SAME if args.same_wording else QUESTIONS[i % len(QUESTIONS)]

    sampling = asyncio.create_task(sampler())
    started = time.perf_counter()
    tasks: list[asyncio.Task] = []
    if args.concurrency:
        slots = asyncio.Semaphore(args.concurrency)

        async def bounded(i: int) -> None:
            async with slots:
                await load.stream(question(i), limit_seconds=args.client_timeout)

        tasks = [asyncio.create_task(bounded(i)) for i in range(args.streams)]
    else:
        for i in range(args.streams):
            delay = started + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(
                asyncio.create_task(load.stream(question(i), limit_seconds=args.client_timeout))
            )
    opened_in = time.perf_counter() - started
    _, pending = await asyncio.wait(tasks, timeout=args.hold) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.perf_counter() - started
    done.set()
    await sampling
    return {
        "elapsed": elapsed,
        "opened_in": opened_in,
        "cut_by_hold": len(pending),
        "samples": samples,
    }


async def phase_streams(system, procs: Processes, args: argparse.Namespace, out: Report) -> None:
    chat = system.dsns["CHAT"]
    load = Load(system.base_url)
    # Pools, caches, models. With the slow LLM, leaving after the first event is enough (its
    # turn, still running, is one among hundreds).
    slow = args.engine == "slow"
    warm = await load.stream(
        "워밍업 코디 추천", stop_after_first=slow, limit_seconds=args.client_timeout
    )
    if not slow:
        await settle(chat)
    load.results.clear()
    load.peak = 0
    waited = await quiet(procs)
    out(
        f"warm-up turn: HTTP {warm.status}, final {warm.final}, {warm.contents} deltas;"
        f" waited {waited:.0f} s for the services to go quiet"
    )
    rss_before = procs.rss()
    xact_before = await committed_transactions(chat)
    cpu_before = procs.cpu()
    run = await run_streams(load, args, procs)
    cpu_after = procs.cpu()
    summary = summarize(load.results)
    rooms = summary["rooms"]
    rows = await stored(chat, rooms, args.settle) if rooms else {}
    xact_after = await committed_transactions(chat)

    mode = (
        f"{args.concurrency} at a time" if args.concurrency else f"{args.rate:g}/s"
    ) + f", hold {'until all end' if args.hold is None else f'{args.hold:g} s'}"
    out(f"### {args.streams} streams, {mode}, engine {args.engine}")
    out()
    out(
        f"opened in {run['opened_in']:.1f} s, run {run['elapsed']:.1f} s; "
        f"cut by the hold limit: {run['cut_by_hold']}"
    )
    out()
    errors = summary["errors"]
    out("Errors by kind:")
    out()
    out.table(("kind", "count"), sorted(errors.items()) or [("none", 0)])
    peak_open, peak_rss = max(run["samples"], key=lambda s: s[0], default=(0, {}))
    t_first, t_content, t_turn = (
        summary["first_event_ms"],
        summary["first_content_ms"],
        summary["turn_s"],
    )
    out.table(
        ("figure", "value"),
        [
            ("streams answered 200 / opened", f"{summary['ok_200']} / {summary['streams']}"),
            ("turns with final_complete (client)", summary["finals"]),
            ("streams open at peak (client; sampled)", f"{load.peak} ({peak_open})"),
            ("connect → first event p50 / p99 ms", f"{_ms(t_first[0])} / {_ms(t_first[1])}"),
            ("connect → first content p50 / p99 ms", f"{_ms(t_content[0])} / {_ms(t_content[1])}"),
            (
                "connect → final_complete p50 / p99 s",
                "-" if t_turn[0] is None else f"{t_turn[0]:.1f} / {t_turn[1]:.1f}",
            ),
            ("content deltas received", summary["contents"]),
            ("complete events received", summary["completes"]),
        ],
    )
    out(f"RSS growth per open stream (VmRSS before, and at the most-open sample: {peak_open}):")
    out()
    out.table(
        ("process", "before MiB", "at peak MiB", "KiB per open stream"),
        [
            (
                name,
                f"{rss_before[name] / 1024:.0f}",
                f"{peak_rss.get(name, 0) / 1024:.0f}",
                f"{(peak_rss.get(name, 0) - rss_before[name]) / peak_open:.1f}"
                if peak_open
                else "-",
            )
            for name in rss_before
        ],
    )
    contents = summary["contents"]
    finals = summary["finals"]
    cpu_rows = []
    service_total = 0.0
    for name in cpu_before:
        used = cpu_after[name] - cpu_before[name]
        is_service = name in procs.services
        service_total += used if is_service else 0.0
        cpu_rows.append(
            (
                name if is_service else f"{name} *",
                f"{used:.1f}",
                f"{used * 1000 / contents:.2f}" if contents else "-",
                f"{used / finals:.2f}" if finals else "-",
            )
        )
    cpu_rows.append(
        (
            "**services total**",
            f"{service_total:.1f}",
            f"{service_total * 1000 / contents:.2f}" if contents else "-",
            f"{service_total / finals:.2f}" if finals else "-",
        )
    )
    out(
        f"CPU over the run ({run['elapsed']:.0f} s wall, {run['elapsed'] * 2:.0f} core-s on 2"
        f" cores), per content delta received ({contents}) and per completed turn ({finals}):"
    )
    out()
    out.table(("process", "CPU s", "CPU ms / delta", "CPU s / turn"), cpu_rows)
    out("\\* not a service: extras, not in the total (PostgreSQL and Redis are machine-wide).")
    out()
    if rows:
        lost = len(rooms) - rows["users"]
        out(
            f"Stored (chat database, the {len(rooms)} rooms the client saw): turns {rows['turns']},"
            f" COMPLETED {rows['completed']}, FAILED {rows['failed']}, still RUNNING"
            f" {rows['running']}; user messages {rows['users']} (lost {lost}); answers"
            f" {rows['answers']} of {rows['turns'] * PANEL}; turns without exactly {PANEL} answers"
            f" {rows['incomplete']}; duplicates {rows['duplicates']}"
        )
        xact = xact_after - xact_before - _OWN_READS
        out(
            f"Transactions (chat database, xact_commit, run + settling): {xact} →"
            f" {xact / max(1, rows['turns']):.2f} per turn"
        )
        out()


async def phase_churn(system, procs: Processes, args: argparse.Namespace, out: Report) -> None:
    load = Load(system.base_url)
    await load.stream("워밍업", stop_after_first=True, limit_seconds=args.client_timeout)
    await quiet(procs)
    gateway = procs.services["gateway"]
    before_rss = rss_kib(gateway)
    before = await scrape(system.base_url)
    load.results.clear()
    slots = asyncio.Semaphore(args.concurrency or 20)
    started = time.perf_counter()

    async def cycle(i: int) -> None:
        async with slots:
            text = QUESTIONS[i % len(QUESTIONS)]
            await load.stream(text, stop_after_first=True, limit_seconds=60)

    cpu_before = cpu_seconds(gateway)
    await asyncio.gather(*(cycle(i) for i in range(args.cycles)))
    elapsed = time.perf_counter() - started
    cpu_used = cpu_seconds(gateway) - cpu_before
    right_after = rss_kib(gateway)
    await asyncio.sleep(args.churn_settle)
    after_rss = rss_kib(gateway)
    after = await scrape(system.base_url)
    summary = summarize(load.results)
    out(f"### churn: {args.cycles} cycles (connect, first event, leave), {slots._value} at a time")
    out()
    out.table(("kind", "count"), sorted(summary["errors"].items()) or [("none", 0)])
    first = summary["first_event_ms"]
    rows = [
        ("cycles / s", f"{args.cycles / elapsed:.1f}"),
        ("connect → first event p50 / p99 ms", f"{_ms(first[0])} / {_ms(first[1])}"),
        ("gateway CPU ms per cycle", f"{cpu_used * 1000 / args.cycles:.2f}"),
        ("gateway RSS before MiB", f"{before_rss / 1024:.1f}"),
        ("gateway RSS right after MiB", f"{right_after / 1024:.1f}"),
        (
            f"gateway RSS {args.churn_settle:g} s after MiB (growth)",
            f"{after_rss / 1024:.1f} ({(after_rss - before_rss) * 100 / before_rss:+.1f} %, "
            f"{(after_rss - before_rss) / args.cycles:.2f} KiB per cycle)",
        ),
        ("sse_connections_active after", after.get("sse_connections_active", "absent")),
    ]
    tasks = [k for k in after if "asyncio" in k and "task" in k]
    for key in tasks:
        rows.append((f"{key} before → after", f"{before.get(key, '-')} → {after[key]}"))
    out.table(("figure", "value"), rows)
    if not tasks:
        out(
            "No asyncio task gauge on the gateway's /actuator/prometheus (looked for a sample "
            "name with both `asyncio` and `task`): task count not reported."
        )
        out()


async def phase_dead_peer(system, procs: Processes, args: argparse.Namespace, out: Report) -> None:
    load = Load(system.base_url)
    gauge = "sse_connections_active"
    out(f"### dead peer: {args.streams} streams waiting on the slow LLM, then sockets dropped")
    out()
    rows = []
    for rst in (False, True):
        baseline = (await scrape(system.base_url)).get(gauge, 0.0)
        hold = asyncio.Event()
        load.results.clear()
        tasks = [
            asyncio.create_task(
                load.stream(QUESTIONS[i % len(QUESTIONS)], hold=hold, rst=rst, limit_seconds=600)
            )
            for i in range(args.streams)
        ]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready = sum(r.first_event is not None or r.ended is not None for r in load.results)
            if ready >= args.streams:
                break
            await asyncio.sleep(0.2)
        opened = sum(r.first_event is not None and r.ended is None for r in load.results)
        peak = (await scrape(system.base_url)).get(gauge, 0.0)
        hold.set()
        dropped = time.perf_counter()
        await asyncio.gather(*tasks, return_exceptions=True)
        seconds = None
        value = peak
        while time.perf_counter() - dropped < args.dead_peer_wait:
            value = (await scrape(system.base_url)).get(gauge, 0.0)
            if value <= baseline:
                seconds = time.perf_counter() - dropped
                break
            await asyncio.sleep(0.1)
        rows.append(
            (
                "RST (SO_LINGER 0)" if rst else "FIN (close without reading)",
                opened,
                f"{baseline:g} → {peak:g}",
                f"{seconds:.2f}"
                if seconds is not None
                else f"> {args.dead_peer_wait:g} (at {value:g})",
            )
        )
    out.table(("how the client left", "streams open", "gauge before → open", "s until back"), rows)


_OUTCOMES = ("completed", "disconnected", "timeout", "error")


async def _outcomes(base_url: str) -> dict[str, float]:
    """How many streams the gateway has ended, by how they ended."""
    values = await scrape(base_url)
    key = 'sse_connection_duration_count{{outcome="{}"}}'
    return {o: values.get(key.format(o), 0.0) for o in _OUTCOMES}


async def _watch_gauge(base_url: str, baseline: float, peak: float, wait: float) -> list:
    """Seconds from now until the gauge first drops below `peak`, until half the streams above
    `baseline` are gone, and until it is back at `baseline` (None: not within `wait`); and
    the last value read."""
    gauge = "sse_connections_active"
    half = baseline + (peak - baseline) / 2
    marks: list[float | None] = [None, None, None]
    value = peak
    started = time.perf_counter()
    while time.perf_counter() - started < wait:
        value = (await scrape(base_url)).get(gauge, 0.0)
        now = time.perf_counter() - started
        for i, level in enumerate((peak - 0.5, half, baseline)):
            if marks[i] is None and value <= level:
                marks[i] = now
        if marks[2] is not None:
            break
        await asyncio.sleep(0.1)
    return [*marks, value]


async def _silent_row(system, args: argparse.Namespace, spread: float) -> tuple:
    """One namespace of clients: open the streams, cut the link, watch the gauge."""
    port = system.env["GATEWAY_PORT"]
    with silent_peer.namespace() as ns:
        baseline = (await scrape(system.base_url)).get("sse_connections_active", 0.0)
        client = await asyncio.create_subprocess_exec(
            *ns.command(
                [
                    sys.executable,
                    str(ROOT / "bench" / "silent_peer.py"),
                    "client",
                    "--url",
                    f"http://{silent_peer.HOST_ADDRESS}:{port}",
                    "--streams",
                    str(args.streams),
                    "--spread",
                    f"{spread:g}",
                ]
            ),
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            line = await asyncio.wait_for(client.stdout.readline(), 150 + spread)
            opened = json.loads(line or b"{}")
            peak = (await scrape(system.base_url)).get("sse_connections_active", 0.0)
            ended_before = await _outcomes(system.base_url)
            ns.cut()
            *marks, value = await _watch_gauge(system.base_url, baseline, peak, args.dead_peer_wait)
            ended_after = await _outcomes(system.base_url)
        finally:
            # Killed after the cut, its sockets' FIN or RST is lost like everything else.
            if client.returncode is None:
                client.kill()
            await client.wait()
    ended = ", ".join(
        f"{o} {ended_after[o] - ended_before[o]:g}"
        for o in _OUTCOMES
        if ended_after[o] != ended_before[o]
    )
    errors = "; ".join(f"{k} {n}" for k, n in sorted(opened.get("errors", {}).items()))
    back = marks[2]
    return (
        f"{opened.get('open', 0)}" + (f" ({errors})" if errors else ""),
        f"{baseline:g} → {peak:g}",
        *("-" if m is None else f"{m:.2f}" for m in marks[:2]),
        f"{back:.2f}" if back is not None else f"> {args.dead_peer_wait:g} (at {value:g})",
        ended or "none",
    ), back


async def phase_silent_peer(
    system, procs: Processes, args: argparse.Namespace, out: Report
) -> None:
    heartbeat = float(system.env.get("CHAT_STREAM_HEARTBEAT_SECONDS", "15"))
    dead_peer = float(system.env.get("GATEWAY_DEAD_PEER_SECONDS", "10"))
    out(
        f"### silent peer: {args.streams} streams from a network namespace, then its link cut"
        f" (no FIN, no RST, no ACK)"
    )
    out()
    out(
        f"heartbeat every {heartbeat:g} s (CHAT_STREAM_HEARTBEAT_SECONDS); the gateway drops a"
        f" connection whose peer acknowledges nothing for {dead_peer:g} s"
        " (GATEWAY_DEAD_PEER_SECONDS: TCP_USER_TIMEOUT, keepalive probes after 5 s idle);"
        " times from the cut"
    )
    out()
    rows, worst = [], 0.0
    # At once: every stream is cut right after its first event. Spread over one heartbeat
    # interval: the cut finds the streams at every point between two heartbeats.
    for label, spread in (("at once", 0.0), (f"over {heartbeat:g} s", heartbeat)):
        row, back = await _silent_row(system, args, spread)
        rows.append((label, *row))
        worst = max(worst, back if back is not None else math.inf)
    out.table(
        (
            "streams opened",
            "streams open",
            "gauge before → open",
            "first noticed s",
            "half s",
            "s until back",
            "ended as (gateway)",
        ),
        rows,
    )
    verdict = "met" if worst <= 25 else "not met"
    out(f"Goal: a dead peer noticed within 25 s: {verdict} (slowest {worst:.2f} s).")
    out()


async def phase_relay(system, procs: Processes, args: argparse.Namespace, out: Report) -> None:
    load = Load(system.base_url)
    relay = Relay(load, f"127.0.0.1:{system.env['CHAT_PORT']}")
    try:
        await relay.channel.channel_ready()
        await load.stream("워밍업 코디 추천", stop_after_first=True, limit_seconds=60)
        load.results.clear()
        await quiet(procs)
        cpu_before = procs.cpu()
        started = time.perf_counter()
        tasks: list[asyncio.Task] = []
        for i in range(args.streams):
            delay = started + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            text = QUESTIONS[i % len(QUESTIONS)]
            tasks.append(asyncio.create_task(relay.turn(text, limit_seconds=args.client_timeout)))
        _, pending = await asyncio.wait(tasks, timeout=args.hold)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - started
        cpu_after = procs.cpu()
    finally:
        await relay.close()
    summary = summarize(load.results)
    found = compare(relay.pairs)
    out(
        f"### relay: {args.streams} turns at {args.rate:g}/s, each through the gateway (SSE) and"
        f" directly from chat-service (gRPC ResumeTurn from the first event), engine {args.engine}"
    )
    out()
    out(f"run {elapsed:.1f} s; cut by the hold limit: {len(pending)}")
    out()
    errors = [(f"SSE {kind}", n) for kind, n in sorted(summary["errors"].items())]
    errors += [(f"direct {kind}", n) for kind, n in sorted(found["errors"].items())]
    out.table(("kind", "count"), errors or [("none", 0)])

    def spread(values: tuple) -> str:
        return " / ".join("-" if v is None else f"{v:.2f}" for v in values)

    content, others = found["content"], found["others"]
    low, high = found["range_ms"]
    p50 = found["content_ms"][0]
    out.table(
        ("figure", "value"),
        [
            ("turns: SSE 200 / opened", f"{summary['ok_200']} / {summary['streams']}"),
            ("turns with final_complete (SSE)", summary["finals"]),
            ("turns followed on both paths", f"{found['paired']} / {found['turns']}"),
            ("events compared: content deltas / other kinds", f"{len(content)} / {len(others)}"),
            ("**gateway adds per content delta p50 / p90 / p99 ms**", spread(found["content_ms"])),
            ("gateway adds per event, all kinds, p50 / p90 / p99 ms", spread(found["all_ms"])),
            ("min / max ms (all kinds)", spread((low, high))),
            ("events the SSE stream had first (negative)", found["negative"]),
            ("left out: on SSE before the direct call's first message", found["replayed"]),
            (
                "ids only on SSE / only direct (turns whose id sets differ)",
                f"{found['only_sse']} / {found['only_grpc']} ({found['mismatched_turns']})",
            ),
        ],
    )
    if p50 is not None:
        verdict = "met" if p50 <= 1.0 else "not met"
        out(f"Goal: the gateway adds ≤ 1 ms p50 per delta: {verdict} ({p50:.2f} ms).")
        out()
    deltas = len(content) or 1
    rows = []
    for name in ("gateway", "chat-service", "bench process (client)"):
        used = cpu_after[name] - cpu_before[name]
        rows.append((name, f"{used:.1f}", f"{used * 1000 / deltas:.2f}"))
    out(f"CPU over the run, per content delta compared ({len(content)}); the client holds both")
    out("paths:")
    out()
    out.table(("process", "CPU s", "CPU ms / delta"), rows)


# -- main ------------------------------------------------------------------------------------


async def measure(args: argparse.Namespace) -> None:
    limit = raise_fd_limit()
    out = Report()
    out(f"## {datetime.datetime.now().isoformat(timespec='seconds')}: phase {args.phase}")
    out()
    out(f"`{' '.join(shlex.quote(a) for a in ['python', *sys.argv])}`")
    out()
    out(f"machine: {machine()}; client fd limit {limit}")
    with tempfile.TemporaryDirectory(prefix="bench-sse-") as state:
        state_dir = Path(state)
        llm_cm = (
            slow_llm(args, state_dir / "slow-llm.log")
            if args.engine == "slow"
            else contextlib.nullcontext((None, None))
        )
        async with llm_cm as (llm_url, llm_process):
            settings = overrides(args, llm_url)
            if llm_url:
                out(
                    f"slow LLM: {args.token_interval:g} s per token (±30 %), {args.tokens} tokens,"
                    f" max streaming {args.max_streaming}, tool style {args.tool_style}"
                )
            shown = {k: v for k, v in settings.items() if k not in ("OPENAI_BASE_URL",)}
            out(f"settings: {', '.join(f'{k}={v}' for k, v in shown.items())}")
            out()
            async with scratch_system(
                server_dsn=TEST_POSTGRES_DSN,
                redis_url=TEST_REDIS_URL,
                state_dir=state_dir,
                cwd=ROOT,
                catalog_size=args.catalog_size,
                overrides=settings,
            ) as system:
                procs = Processes(system, llm_process.pid if llm_process else None)
                try:
                    if args.phase == "churn":
                        await phase_churn(system, procs, args, out)
                    elif args.phase == "dead-peer":
                        await phase_dead_peer(system, procs, args, out)
                    elif args.phase == "silent-peer":
                        await phase_silent_peer(system, procs, args, out)
                    elif args.phase == "relay":
                        await phase_relay(system, procs, args, out)
                    else:
                        await phase_streams(system, procs, args, out)
                finally:
                    if llm_url:
                        with contextlib.suppress(httpx.HTTPError):
                            async with httpx.AsyncClient(timeout=5) as client:
                                stats = (await client.get(llm_url[:-3] + "/stats")).json()
                            out(f"slow LLM served: {json.dumps(stats)}")
                            out()
                    if args.keep_logs:
                        for child in system.supervisor.children:
                            target = Path(args.keep_logs) / child.log_path.name
                            target.parent.mkdir(parents=True, exist_ok=True)
                            target.write_bytes(child.log_path.read_bytes())
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        new = not RESULTS.exists()
        with RESULTS.open("a") as results:
            if new:
                results.write(
                    "# bench-sse results\n\nAppended by `make bench-sse` (bench/bench_sse.py); "
                    "newest last.\n\n"
                )
            results.write("\n".join(out.lines) + "\n\n")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--phase", choices=("sse", "churn", "dead-peer", "silent-peer", "relay"), default="sse"
    )
    parser.add_argument("--engine", choices=("slow", "offline"), default="slow")
    parser.add_argument("--streams", type=int, help="streams (sse, dead-peer, silent-peer, relay)")
    parser.add_argument("--rate", type=float, help="streams opened per second (50; relay: 4)")
    parser.add_argument("--concurrency", type=int, help="at most this many at a time (no rate)")
    parser.add_argument("--hold", type=float, help="seconds to wait for the turns (default: all)")
    parser.add_argument("--cycles", type=int, default=2000, help="churn cycles")
    parser.add_argument("--churn-settle", type=float, default=5.0)
    parser.add_argument("--dead-peer-wait", type=float, default=120.0)
    parser.add_argument("--same-wording", action="store_true")
    parser.add_argument("--token-interval", type=float, default=0.3)
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--max-streaming", type=int, default=500)
    parser.add_argument("--tool-style", choices=("after", "first"), default="after")
    parser.add_argument("--catalog-size", type=int, default=400)
    parser.add_argument("--client-timeout", type=float, default=900.0)
    parser.add_argument("--settle", type=float, default=300.0, help="wait for RUNNING turns")
    parser.add_argument("--sample-interval", type=float, default=0.5)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a service setting"
    )
    parser.add_argument(
        "--redis-max-connections",
        type=int,
        help="pool size of chat's and expert's Redis clients (max_connections in their URLs)",
    )
    parser.add_argument("--keep-logs", help="copy the services' logs into this folder")
    parser.add_argument("--no-write", action="store_true", help="do not append to the results")
    args = parser.parse_args(argv)
    if args.engine == "offline" and args.phase == "sse":
        args.streams = args.streams or 30
        args.concurrency = args.concurrency or 6
        args.same_wording = True
    if args.streams is None:
        args.streams = {"dead-peer": 100, "silent-peer": 100, "relay": 20}.get(args.phase, 300)
    if args.rate is None:
        args.rate = 4.0 if args.phase == "relay" else 50.0
    return args


def main() -> None:
    args = parse()
    if args.phase == "silent-peer" and (reason := silent_peer.unavailable()):
        # Refused before anything starts: the phase cannot make a silent peer here.
        sys.exit(f"bench-sse --phase silent-peer: {reason}")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()

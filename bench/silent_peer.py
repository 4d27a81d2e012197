"""Silent peers for bench_sse.py's silent-peer phase: SSE clients in a network namespace whose
link is then cut, so the gateway sees no FIN, no RST, not even an ACK (a pulled cable, a host
gone).

On one machine a client that closes or dies always says so (its kernel sends FIN or RST). Here
the client's sockets live in a namespace of their own (`ip netns`), joined to this host by a
veth pair; the client is this module run under `ip netns exec`, opening its streams with
sse_load.Load. Setting the namespace's end of the pair down then loses whatever the gateway
sends, and nothing ever comes back. Needs root and iproute2.

    python bench/silent_peer.py client --url http://10.254.77.1:8000 --streams 100 --spread 15

prints one JSON line once every stream has its first event (or has ended), then keeps reading
until it is killed.
"""

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stream import QUESTIONS
from sse_load import Load, raise_fd_limit, summarize

# A /30 of its own, unlikely to be routed on a development machine.
HOST_ADDRESS = "10.254.77.1"
PEER_ADDRESS = "10.254.77.2"
_PREFIX = 30


def unavailable() -> str | None:
    """Why this machine cannot make a silent peer, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (it creates a network namespace and a veth pair)"
    if shutil.which("ip") is None:
        return "no `ip` command (apt-get install iproute2)"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`ip netns` is unavailable: {probe.stderr.strip() or probe.returncode}"
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@dataclass(frozen=True)
class Namespace:
    name: str
    host_dev: str
    peer_dev: str

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run with its sockets in the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self) -> None:
        """The namespace's link goes down: from now on it sends nothing and receives nothing,
        while its sockets stay open (no FIN or RST is ever written)."""
        _ip("-n", self.name, "link", "set", "dev", self.peer_dev, "down")


@contextlib.contextmanager
def namespace() -> Iterator[Namespace]:
    """A namespace joined to this host by a veth pair (HOST_ADDRESS here, PEER_ADDRESS there),
    deleted on the way out however the block ends."""
    tag = str(os.getpid())
    ns = Namespace(f"tft-silent-{tag}", f"tfts{tag}h"[:15], f"tfts{tag}n"[:15])
    try:
        _ip("netns", "add", ns.name)
        _ip("link", "add", ns.host_dev, "type", "veth", "peer", "name", ns.peer_dev,
            "netns", ns.name)  # fmt: skip
        _ip("addr", "add", f"{HOST_ADDRESS}/{_PREFIX}", "dev", ns.host_dev)
        _ip("link", "set", "dev", ns.host_dev, "up")
        _ip("-n", ns.name, "addr", "add", f"{PEER_ADDRESS}/{_PREFIX}", "dev", ns.peer_dev)
        _ip("-n", ns.name, "link", "set", "dev", ns.peer_dev, "up")
        yield ns
    finally:
        # Deleting the namespace deletes its end of the pair, and with it the host's end; the
        # explicit delete covers a setup that failed before the pair was moved.
        for args in (("netns", "del", ns.name), ("link", "del", ns.host_dev)):
            with contextlib.suppress(RuntimeError):
                _ip(*args)


# -- the client, run inside the namespace ----------------------------------------------------


async def open_streams(url: str, streams: int, spread: float, wait: float) -> None:
    """Opens `streams` turns evenly over `spread` seconds, reports once each has its first
    event, then keeps reading them until killed."""
    raise_fd_limit()
    load = Load(url)
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    for i in range(streams):
        # Spread over a heartbeat interval, the cut finds the streams at every point of it.
        await asyncio.sleep(max(0.0, started + i * spread / streams - loop.time()))
        text = QUESTIONS[i % len(QUESTIONS)]
        tasks.append(asyncio.create_task(load.stream(text, limit_seconds=3600)))
    deadline = loop.time() + wait
    while loop.time() < deadline:
        # A result exists once its task has run: the last ones may not have started yet.
        ready = sum(r.first_event is not None or r.ended is not None for r in load.results)
        if ready >= streams:
            break
        await asyncio.sleep(0.1)
    opened = sum(r.first_event is not None and r.ended is None for r in load.results)
    errors = dict(summarize(load.results)["errors"])
    print(json.dumps({"open": opened, "errors": errors}), flush=True)
    # Reading on: until the cut, this client behaves like a browser showing the answers.
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    client = commands.add_parser("client", help="open SSE streams (run inside the namespace)")
    client.add_argument("--url", required=True, help="the gateway, as seen from the namespace")
    client.add_argument("--streams", type=int, default=100)
    client.add_argument("--spread", type=float, default=0.0, help="seconds to open them over")
    client.add_argument("--wait", type=float, default=120.0, help="for the first events")
    args = parser.parse_args()
    asyncio.run(open_streams(args.url, args.streams, args.spread, args.spread + args.wait))


if __name__ == "__main__":
    main()

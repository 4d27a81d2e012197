"""Client channel pools (one connection each, seen at a real server) and the open files limit
(raised in a process of its own)."""

import json
import resource
import subprocess
import sys

import grpc

from tftkit.grpc_client import ChannelPool, open_channel

_PEER = "/test.Peers/Peer"


class _Peers:
    """A real grpc.aio server whose one method answers with the caller's address."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def peer(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        self.seen.append(context.peer())  # ipv4:127.0.0.1:<the client connection's port>
        return context.peer().encode()

    async def __aenter__(self) -> str:
        self._server = grpc.aio.server()
        handler = grpc.unary_unary_rpc_method_handler(self.peer)
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("test.Peers", {"Peer": handler}),)
        )
        port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()
        return f"127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        await self._server.stop(0)


async def _ask(channel: grpc.aio.Channel) -> str:
    call = channel.unary_unary(_PEER, request_serializer=None, response_deserializer=None)
    return (await call(b"", timeout=5)).decode()


async def test_a_pool_opens_one_connection_per_channel_and_takes_them_in_turn():
    peers = _Peers()
    async with peers as address:
        pool = ChannelPool(address, 3)
        try:
            stubs = pool.stubs(lambda channel: channel)
            answers = [await _ask(stubs.next()) for _ in range(6)]
        finally:
            await pool.close()
    assert len(set(answers)) == 3
    # Round robin: the fourth call goes over the first call's connection, and so on.
    assert answers[3:] == answers[:3]


async def test_channels_with_the_same_arguments_share_one_connection():
    """What the pool works around: without a subchannel pool of their own, two channels to one
    address are one HTTP/2 connection."""
    peers = _Peers()
    async with peers as address:
        first, second = open_channel(address), open_channel(address)
        try:
            answers = {await _ask(first), await _ask(second)}
        finally:
            await first.close()
            await second.close()
    assert len(answers) == 1


def test_the_open_files_limit_is_raised_to_the_hard_limit():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    low = min(256, hard)
    script = f"""
import json, logging, resource
logging.basicConfig(level=logging.INFO)
resource.setrlimit(resource.RLIMIT_NOFILE, ({low}, {hard}))
from tftkit.service import raise_open_files_limit
raised = raise_open_files_limit()
print(json.dumps([raised, *resource.getrlimit(resource.RLIMIT_NOFILE)]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == [hard, hard, hard]
    assert "open files limit" in done.stderr  # logged at start

"""What one open gRPC server stream costs, apart from everything else: resident memory per
stream of a grpc.aio client and of a grpc.aio server holding N idle streams.

This is the floor under the gateway's (client) and chat-service's (server) memory per open SSE
stream while each SSE stream holds its own gRPC stream.

    uv run python bench/grpc_stream_memory.py [--streams 4000] [--channels 4]
"""

import argparse
import asyncio
import os
import sys

import grpc

from tft_launcher.scratch import free_port

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proc_stats import rss_kib

from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc


class IdleTurns(chat_pb2_grpc.ChatServiceServicer):
    """Every ResumeTurn sends one event, then stays open."""

    async def ResumeTurn(self, request, context):
        yield chat_pb2.TurnEvent(event_id="t:1-0", connect=chat_pb2.Connected(room_id="1"))
        await asyncio.Event().wait()


async def serve(port: int) -> None:
    server = grpc.aio.server()
    chat_pb2_grpc.add_ChatServiceServicer_to_server(IdleTurns(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


async def measure(streams: int, channels: int) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        await server.stdout.readline()
        pool = [
            grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(channels)
        ]
        stubs = [chat_pb2_grpc.ChatServiceStub(channel) for channel in pool]
        request = chat_pb2.ResumeTurnRequest(last_event_id="t:0-0")
        calls = []
        for stub in stubs:  # connections up before the baseline
            call = stub.ResumeTurn(request)
            await call.read()
            calls.append(call)
        await asyncio.sleep(1)
        client_before, server_before = rss_kib(os.getpid()), rss_kib(server.pid)
        for i in range(streams):
            call = stubs[i % channels].ResumeTurn(request)
            await call.read()
            calls.append(call)
        await asyncio.sleep(2)
        client_after, server_after = rss_kib(os.getpid()), rss_kib(server.pid)
        print(f"{streams} idle server streams over {channels} channels")
        print(f"client: {(client_after - client_before) / streams:.1f} KiB per stream")
        print(f"server: {(server_after - server_before) / streams:.1f} KiB per stream")
        for call in calls:
            call.cancel()
        for channel in pool:
            await channel.close()
    finally:
        server.terminate()
        await server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=4000)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
    else:
        asyncio.run(measure(args.streams, args.channels))


if __name__ == "__main__":
    main()

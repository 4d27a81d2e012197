"""A tiny gRPC server for the supervisor's tests: kit's GrpcServer (health + reflection) only."""

import asyncio
import sys

from tftkit.grpc_server import GrpcServer


async def main(port: int) -> None:
    print(f"serving health on {port}", flush=True)
    await GrpcServer(host="127.0.0.1", port=port, grace_seconds=1).run()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

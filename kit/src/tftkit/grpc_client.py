"""Client channels to other services."""

from collections.abc import Callable, Iterator
from itertools import cycle
from typing import Generic, TypeVar

import grpc

_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    # Spread calls over every address the target resolves to (a headless Service's pods, or
    # "ipv4:host:a,host:b"); a replica that goes away is skipped until it is back.
    ("grpc.lb_policy_name", "round_robin"),
]

T = TypeVar("T")


def open_channel(address: str) -> grpc.aio.Channel:
    """An insecure channel inside the cluster (TLS is the mesh's job). `address` may name
    several replicas: calls are spread over them."""
    return grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)


class RoundRobin(Generic[T]):
    """Hands out its items in turn, one a call."""

    def __init__(self, items: list[T]) -> None:
        self.items = items
        self._turns: Iterator[T] = cycle(items)

    def next(self) -> T:
        return next(self._turns)


class ChannelPool:
    """`size` channels to one address, each its own HTTP/2 connection, for many long calls.

    One connection carries at most the peer's concurrent-stream limit of calls and all their
    frames go through one socket and one writer; several spread that. Channels with the same
    arguments would share one connection (gRPC's global subchannel pool), so each gets a local
    subchannel pool of its own.
    """

    def __init__(self, address: str, size: int) -> None:
        if size < 1:
            raise ValueError("a channel pool needs at least one channel")
        self.channels = [
            grpc.aio.insecure_channel(
                address, options=[*_CHANNEL_OPTIONS, ("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(size)
        ]

    def stubs(self, stub_class: Callable[[grpc.aio.Channel], T]) -> RoundRobin[T]:
        """One stub a channel, handed out in turn: each call goes over the next connection."""
        return RoundRobin([stub_class(channel) for channel in self.channels])

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

"""Client channels to other services."""

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


def open_channel(address: str) -> grpc.aio.Channel:
    """An insecure channel inside the cluster (TLS is the mesh's job). `address` may name
    several replicas: calls are spread over them."""
    return grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)

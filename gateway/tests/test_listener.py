"""The listening socket hands its dead-peer settings to every connection it accepts."""

import socket

import pytest

from gateway.listener import listening_socket

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "TCP_USER_TIMEOUT"), reason="TCP_USER_TIMEOUT is Linux's"
)


def test_accepted_connections_drop_a_silent_peer():
    with listening_socket("127.0.0.1", 0, backlog=16, dead_peer_seconds=7.5) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 7500
                idle = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)
                probes = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT)
                every = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL)
                # A silent idle peer is given up within the dead-peer time as well.
                assert idle + probes * every <= 10


def test_a_taken_port_is_a_clear_error():
    with listening_socket("127.0.0.1", 0, backlog=16, dead_peer_seconds=10) as first:
        port = first.getsockname()[1]
        with pytest.raises(OSError):
            listening_socket("127.0.0.1", port, backlog=16, dead_peer_seconds=10)

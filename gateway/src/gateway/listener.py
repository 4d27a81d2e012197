"""The gateway's listening socket, set up so that a browser that vanished is noticed.

A closed tab or a dropped connection that sends FIN or RST is seen at the next write. A peer
that vanished silently (a phone that lost its network, a NAT that forgot the flow) sends
nothing: the kernel would keep retrying the heartbeat's bytes for many minutes. TCP keepalive
probes an idle connection, and TCP_USER_TIMEOUT gives up on one whose sent bytes stay
unacknowledged; Linux copies both from the listening socket to every accepted connection, so
they are set once, here.
"""

import socket

# Probes start after this long idle, every _PROBE_SECONDS, and the connection is dropped after
# _PROBES unanswered ones.
_IDLE_SECONDS = 5
_PROBE_SECONDS = 2
_PROBES = 2


def listening_socket(
    host: str, port: int, *, backlog: int, dead_peer_seconds: float
) -> socket.socket:
    """A bound, listening TCP socket whose connections are dropped when the peer has not
    acknowledged data for `dead_peer_seconds` (or answered keepalive probes)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if hasattr(socket, "TCP_KEEPIDLE"):  # Linux; elsewhere the system's defaults apply
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, _IDLE_SECONDS)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, _PROBE_SECONDS)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, _PROBES)
        if hasattr(socket, "TCP_USER_TIMEOUT"):
            sock.setsockopt(
                socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(dead_peer_seconds * 1000)
            )
        sock.bind(address)
        sock.listen(backlog)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock

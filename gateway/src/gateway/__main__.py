"""`python -m gateway` serves the HTTP API with uvicorn."""

import importlib.util
import socket

import uvicorn
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway.app import create_app
from gateway.listener import listening_socket
from gateway.settings import GatewaySettings
from gateway.sse import OpenStreams
from tftkit.logging import configure_logging
from tftkit.service import load_settings, raise_open_files_limit
from tftkit.telemetry import configure_tracing


class GatewayServer(uvicorn.Server):
    """uvicorn, ending the open SSE streams as it shuts down.

    uvicorn's graceful shutdown waits for every response to finish, and a turn's stream may
    run for minutes: its clients instead see the stream end now and resume it (Last-Event-ID)
    on another replica.
    """

    def __init__(self, config: uvicorn.Config, streams: OpenStreams) -> None:
        super().__init__(config)
        self._streams = streams

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # No await before uvicorn closes its listeners: no stream opens in between.
        self._streams.drain()
        await super().shutdown(sockets)


def http_implementation() -> str:
    """httptools (a C parser, cheaper per connection than h11) when it is installed."""
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def main() -> None:
    settings = load_settings("gateway", GatewaySettings)
    configure_logging("gateway", settings.log_level)
    raise_open_files_limit()
    configure_tracing("gateway")
    app = create_app(settings)
    # No span per ASGI send/receive: a stream sends one message per delta.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="actuator/.*,media/.*", exclude_spans=["receive", "send"]
    )
    config = uvicorn.Config(app, http=http_implementation(), log_config=None, access_log=False)
    sock = listening_socket(
        settings.host,
        settings.port,
        backlog=settings.backlog,
        dead_peer_seconds=settings.dead_peer_seconds,
    )
    GatewayServer(config, app.state.streams).run(sockets=[sock])


if __name__ == "__main__":
    main()

"""`python -m gateway` serves the HTTP API with uvicorn."""

import uvicorn
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tftkit.logging import configure_logging
from tftkit.service import load_settings
from tftkit.telemetry import configure_tracing


def main() -> None:
    settings = load_settings("gateway", GatewaySettings)
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway")
    app = create_app(settings)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="actuator/.*,media/.*")
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()

"""The FastAPI application: wiring of routes, middleware, clients and error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.body_limits import BodyLimitMiddleware
from gateway.clients import Clients
from gateway.cookies import QueuedCookiesMiddleware
from gateway.errors import install_error_handlers
from gateway.metrics import HttpMetricsMiddleware
from gateway.origin import SameOriginMiddleware
from gateway.routes import auth, chat, fitting, ops, profile, web
from gateway.routes.media import build_media_router
from gateway.schemas import install_openapi
from gateway.settings import GatewaySettings
from gateway.sse import OpenStreams
from tftkit.object_store import ObjectStoreSettings


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clients = Clients.connect(settings)
        try:
            yield
        finally:
            await app.state.clients.close()

    app = FastAPI(
        title="TheFirstTake API",
        description="AI fashion curation: a panel of experts answers over Server-Sent Events.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(QueuedCookiesMiddleware)
    app.add_middleware(SameOriginMiddleware, allowed_origins=settings.allowed_origins)
    # Outside the routes and the cookie/origin middleware, so it times what they add too.
    app.add_middleware(HttpMetricsMiddleware)
    # Outermost: an oversized body is refused before anything else reads it.
    app.add_middleware(
        BodyLimitMiddleware,
        max_request_bytes=settings.max_request_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.state.streams = OpenStreams(
        max_open=settings.max_open_streams, memory_share=settings.max_memory_share
    )
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(auth.router)
    app.include_router(chat.router)
    app.include_router(fitting.router)
    app.include_router(profile.router)
    app.include_router(ops.router)
    app.include_router(web.router)
    store_settings = ObjectStoreSettings()
    if settings.serve_local_media and not store_settings.s3_bucket:
        app.include_router(build_media_router(store_settings))
    return app

"""auth-service process: pools, migrations, gRPC server."""

from pathlib import Path

from auth_service.servicer import AuthServicer
from auth_service.settings import AuthSettings
from tftkit.grpc_server import GrpcServer
from tftkit.postgres import apply_migrations, connect_pool
from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name


async def serve(settings: AuthSettings) -> None:
    async with connect_pool(settings.postgres_dsn) as pool:
        await apply_migrations(pool, MIGRATIONS)
        server = GrpcServer(
            host=settings.host, port=settings.port, grace_seconds=settings.shutdown_grace_seconds
        )
        server.add(
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            AuthServicer(pool=pool, settings=settings),
            SERVICE_NAME,
        )
        await server.run()

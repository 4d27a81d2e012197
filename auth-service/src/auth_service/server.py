"""auth-service process: pools, migrations, the token issuer, the Kakao client, gRPC server."""

from pathlib import Path

from auth_service.kakao import KakaoClient
from auth_service.servicer import AuthServicer
from auth_service.settings import AuthSettings
from auth_service.tokens import TokenIssuer
from tftkit.grpc_server import GrpcServer
from tftkit.postgres import apply_migrations, connect_pool
from thefirsttake.auth.v1 import auth_pb2, auth_pb2_grpc

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name


def kakao_client(settings: AuthSettings) -> KakaoClient | None:
    """The Kakao client when Kakao login is configured (guests only otherwise)."""
    if not settings.kakao_configured:
        return None
    return KakaoClient(
        client_id=settings.kakao_client_id,
        client_secret=settings.kakao_client_secret,
        redirect_uri=settings.kakao_redirect_uri,
        auth_base_url=settings.kakao_auth_base_url,
        api_base_url=settings.kakao_api_base_url,
        timeout_seconds=settings.kakao_timeout_seconds,
        use_pkce=settings.kakao_use_pkce,
    )


async def serve(settings: AuthSettings) -> None:
    issuer = TokenIssuer(settings)
    kakao = kakao_client(settings)
    async with connect_pool(settings.postgres_dsn) as pool:
        await apply_migrations(pool, MIGRATIONS)
        server = GrpcServer(
            host=settings.host,
            port=settings.port,
            grace_seconds=settings.shutdown_grace_seconds,
            verifier=issuer.verifier,
        )
        server.add(
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            AuthServicer(pool=pool, settings=settings, issuer=issuer, kakao=kakao),
            SERVICE_NAME,
        )
        try:
            await server.run()
        finally:
            if kakao is not None:
                await kakao.aclose()

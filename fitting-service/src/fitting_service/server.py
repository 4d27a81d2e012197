"""fitting-service process: the gRPC server."""

from fitting_service.servicer import FittingServicer
from fitting_service.settings import FittingSettings
from tftkit.grpc_server import GrpcServer
from thefirsttake.fitting.v1 import fitting_pb2, fitting_pb2_grpc

SERVICE_NAME = fitting_pb2.DESCRIPTOR.services_by_name["FittingService"].full_name


async def serve(settings: FittingSettings) -> None:
    server = GrpcServer(
        host=settings.host, port=settings.port, grace_seconds=settings.shutdown_grace_seconds
    )
    server.add(
        fitting_pb2_grpc.add_FittingServiceServicer_to_server, FittingServicer(), SERVICE_NAME
    )
    await server.run()

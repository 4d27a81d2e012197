"""FittingService over gRPC. Try-on and the image proxy come in a later issue: until then
every RPC answers UNIMPLEMENTED rather than anything that looks like a result."""

import grpc

from thefirsttake.fitting.v1 import fitting_pb2_grpc

_NOT_YET = "virtual try-on is not implemented yet"


class FittingServicer(fitting_pb2_grpc.FittingServiceServicer):
    async def TryOn(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

    async def GetTask(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

    async def FetchImage(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

    async def ProxySelfTest(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_YET)

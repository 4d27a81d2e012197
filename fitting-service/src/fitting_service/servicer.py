"""FittingService over gRPC: converts messages and maps domain errors to status codes."""

import grpc

from fitting_service import image_proxy
from fitting_service.photos import UnreadablePhoto
from fitting_service.product_client import UnknownProduct, WrongSlot
from fitting_service.tasks import ErrorKind, Status, Task, TaskStore
from fitting_service.tryon import (
    BadRequest,
    DailyCapReached,
    PhotoTooLarge,
    TryOnRequest,
    TryOns,
)
from tftkit.identity import TokenVerifier, caller_id, guest_handover
from tftkit.rate_limit import RateLimited, abort_rate_limited
from tftkit.safe_fetch import FetchFailed, FetchRefused, SafeImageFetcher
from thefirsttake.fitting.v1 import fitting_pb2, fitting_pb2_grpc

_TASK_NOT_FOUND = "try-on task not found"
# The longest a TryOn call may wait for its task (the caller's deadline should be a bit longer).
_MAX_WAIT_SECONDS = 600.0


class FittingServicer(fitting_pb2_grpc.FittingServiceServicer):
    def __init__(
        self,
        *,
        tryons: TryOns,
        fetcher: SafeImageFetcher,
        tasks: TaskStore,
        verifier: TokenVerifier,
    ) -> None:
        self._tryons = tryons
        self._fetcher = fetcher
        self._tasks = tasks
        # Checks the guest token a merge presents (the caller's own is checked on arrival).
        self._verifier = verifier

    async def TryOn(self, request, context) -> fitting_pb2.TryOnTask:
        owner = await caller_id(context)
        try:
            task = await self._tryons.create(
                TryOnRequest(
                    owner_id=owner,
                    photo=request.model_image,
                    upper_product_id=request.upper_product_id.strip(),
                    lower_product_id=request.lower_product_id.strip(),
                    hd=request.hd_mode,
                    combo=request.combo,
                )
            )
        except BadRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except UnreadablePhoto as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except PhotoTooLarge as error:
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, str(error))
        except UnknownProduct as error:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        except WrongSlot as error:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        except RateLimited as error:
            await abort_rate_limited(
                context, error, "가상 피팅 요청이 너무 많아요. 잠시 후 다시 시도해 주세요."
            )
        except DailyCapReached as error:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        wait = min(max(request.wait_seconds, 0.0), _MAX_WAIT_SECONDS)
        if wait > 0:
            task = await self._tryons.wait(task=task, seconds=wait)
        return _task(task)

    async def GetTask(self, request, context) -> fitting_pb2.TryOnTask:
        owner = await caller_id(context)
        task = await self._tryons.owned(task_id=request.task_id, owner_id=owner)
        if task is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, _TASK_NOT_FOUND)
        return _task(task)

    async def GetTaskResult(self, request, context) -> fitting_pb2.TaskResult:
        owner = await caller_id(context)
        task = await self._tryons.owned(task_id=request.task_id, owner_id=owner)
        if task is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, _TASK_NOT_FOUND)
        if task.status != Status.COMPLETED:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "try-on is not completed")
        content = await self._tryons.result(task)
        if content is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "try-on result has expired")
        return fitting_pb2.TaskResult(content=content, content_type="image/jpeg")

    async def FetchImage(self, request, context) -> fitting_pb2.FetchImageResponse:
        try:
            image = await image_proxy.fetch(self._fetcher, request.url)
        except FetchRefused as error:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
        except FetchFailed as error:
            code = (
                grpc.StatusCode.DEADLINE_EXCEEDED
                if error.reason == "timeout"
                else grpc.StatusCode.FAILED_PRECONDITION
            )
            await context.abort(code, str(error))
        return fitting_pb2.FetchImageResponse(
            content=image.content, content_type=image.content_type
        )

    async def MergeGuestTasks(self, request, context) -> fitting_pb2.MergeGuestTasksResponse:
        account, guest = await guest_handover(context, self._verifier, request.guest_token)
        moved = await self._tasks.give_tasks(from_owner=guest.user_id, to_owner=account.user_id)
        return fitting_pb2.MergeGuestTasksResponse(merged_tasks=moved)

    async def ProxySelfTest(self, request, context) -> fitting_pb2.ProxySelfTestResponse:
        ok, message = await image_proxy.self_test(self._fetcher)
        return fitting_pb2.ProxySelfTestResponse(ok=ok, message=message)


_STATUS = {
    Status.QUEUED: fitting_pb2.QUEUED,
    Status.PROCESSING: fitting_pb2.PROCESSING,
    Status.COMPLETED: fitting_pb2.COMPLETED,
    Status.FAILED: fitting_pb2.FAILED,
}
_ERROR_KIND = {
    ErrorKind.NONE: fitting_pb2.ERROR_KIND_UNSPECIFIED,
    ErrorKind.PHOTO_REJECTED: fitting_pb2.PHOTO_REJECTED,
    ErrorKind.ENGINE_FAILED: fitting_pb2.ENGINE_FAILED,
    ErrorKind.TIMED_OUT: fitting_pb2.TIMED_OUT,
    ErrorKind.INTERRUPTED: fitting_pb2.INTERRUPTED,
}


def _task(task: Task) -> fitting_pb2.TryOnTask:
    return fitting_pb2.TryOnTask(
        task_id=task.task_id,
        status=_STATUS[task.status],
        progress=task.progress,
        error=task.error,
        error_kind=_ERROR_KIND[task.error_kind],
        engine=task.engine,
        hd_mode=task.hd,
        created_at=task.created_at,
    )

"""Fitting: virtual try-on tasks (sync or async), their status and private results, and the
image proxy."""

from typing import Annotated, Any

import grpc
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from gateway.body_limits import upload_too_large
from gateway.deps import ClientsDep, CurrentUser, KnownUser
from gateway.errors import ApiError, envelope
from gateway.schemas import (
    DOWNSTREAM,
    PRODUCT_ID_OR_EMPTY_PATTERN,
    PRODUCT_ID_PATTERN,
    EmptyEnvelope,
    Envelope,
    TryOnData,
    error_responses,
    image_response,
    link,
)
from tftkit.identity import Identity
from thefirsttake.fitting.v1 import fitting_pb2

router = APIRouter(prefix="/api/fitting", tags=["fitting"])

_STATUS_NAMES = {
    fitting_pb2.QUEUED: "QUEUED",
    fitting_pb2.PROCESSING: "PROCESSING",
    fitting_pb2.COMPLETED: "COMPLETED",
    fitting_pb2.FAILED: "FAILED",
}
_PROXY_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Cache-Control": "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
}
_PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
_DONE = "가상피팅이 완료되었습니다."
_COMBO_DONE = "콤보 가상피팅이 완료되었습니다."
_STARTED = "가상피팅을 시작했어요. 상태 조회로 진행 상황을 확인하세요."

# Empty when the slot is not tried on.
OptionalProductId = Annotated[str, Form(pattern=PRODUCT_ID_OR_EMPTY_PATTERN)]
ProductId = Annotated[str, Form(pattern=PRODUCT_ID_PATTERN)]
Async = Annotated[bool, Query(alias="async", description="answer 202 with the task id at once")]


def _task_data(request: Request, task: fitting_pb2.TryOnTask, message: str) -> dict[str, Any]:
    """The task in both spellings the seed's clients read."""
    completed = task.status == fitting_pb2.COMPLETED
    url = str(request.url_for("try_on_result", task_id=task.task_id)) if completed else None
    return {
        "success": completed,
        "message": message,
        "task_id": task.task_id,
        "taskId": task.task_id,
        "status": _STATUS_NAMES.get(task.status, "QUEUED"),
        "progress": task.progress,
        "download_url": url,
        "downloadUrl": url,
        "error": task.error or None,
    }


async def _try_on(
    request: Request,
    clients: ClientsDep,
    caller: Identity,
    photo: UploadFile,
    upper: str,
    lower: str,
    hd: bool,
    wait: bool,
    combo: bool,
) -> JSONResponse:
    limit = clients.settings.max_upload_bytes
    # BodyLimitMiddleware already stopped a bigger file part as it arrived.
    content = await photo.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, upload_too_large(limit))
    call = fitting_pb2.TryOnRequest(
        model_image=content,
        upper_product_id=upper,
        lower_product_id=lower,
        hd_mode=hd,
        combo=combo,
        wait_seconds=clients.settings.tryon_wait_seconds if wait else 0.0,
    )
    try:
        task = await clients.try_on(caller, call)
    except grpc.aio.AioRpcError as error:
        # The products were checked here; what fitting-service can still refuse is the photo.
        if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
            raise ApiError(415, error.details() or "unsupported image") from error
        if error.code() == grpc.StatusCode.OUT_OF_RANGE:
            raise ApiError(413, error.details() or "image too large") from error
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
            raise ApiError(422, error.details() or "this product cannot be tried on") from error
        raise
    if task.status == fitting_pb2.FAILED:
        if task.error_kind == fitting_pb2.PHOTO_REJECTED:
            raise ApiError(422, task.error)
        if task.error_kind == fitting_pb2.TIMED_OUT:
            raise ApiError(504, task.error)
        raise ApiError(502, task.error or "가상 피팅에 실패했어요.")
    if task.status != fitting_pb2.COMPLETED:
        return JSONResponse(envelope(_task_data(request, task, _STARTED), _STARTED), 202)
    message = _COMBO_DONE if combo else _DONE
    return JSONResponse(envelope(_task_data(request, task, message), message))


_TASK_ID = "$response.body#/data/task_id"
_TASK_LINKS = {
    "status": link("GET", "/api/fitting/status/{task_id}", {"path.task_id": _TASK_ID}),
    "result": link("GET", "/api/fitting/result/{task_id}", {"path.task_id": _TASK_ID}),
}
_TRY_ON_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the picture is ready (download_url)", "links": _TASK_LINKS},
    202: {
        "model": Envelope[TryOnData],
        "description": "accepted (async=true, or still running): poll the status",
        "links": _TASK_LINKS,
    },
    **error_responses(
        400,
        401,
        403,
        404,
        413,
        415,
        422,
        429,
        *DOWNSTREAM,
        notes={
            400: "no product id given, or an unreadable multipart body",
            404: "an unknown product",
            413: "the photo is over the size limit",
            415: "the photo is not a JPEG, PNG, WebP or HEIC image (or is missing)",
            422: "an invalid field, a photo that cannot be dressed (no person, several, too "
            "small, cut off), or a product that does not go there",
            429: "too many try-ons this minute (Retry-After), or the day's paid try-ons are "
            "used up",
            502: "the try-on engine failed",
            504: "the try-on took too long",
        },
    ),
}


@router.post(
    "/try-on",
    response_model=Envelope[TryOnData],
    responses=_TRY_ON_RESPONSES,
    summary="Try garments on a photo",
)
async def try_on(
    request: Request,
    user: CurrentUser,
    clients: ClientsDep,
    model_image: Annotated[UploadFile, File(description="the person's photo")],
    upper_product_id: OptionalProductId = "",
    lower_product_id: OptionalProductId = "",
    hd_mode: Annotated[bool, Form()] = False,
    run_async: Async = False,
):
    if not upper_product_id and not lower_product_id:
        raise ApiError(400, "upper_product_id 또는 lower_product_id가 필요해요.")
    return await _try_on(
        request,
        clients,
        user,
        model_image,
        upper_product_id,
        lower_product_id,
        hd_mode,
        wait=not run_async,
        combo=False,
    )


@router.post(
    "/try-on/combo",
    response_model=Envelope[TryOnData],
    responses=_TRY_ON_RESPONSES,
    summary="Try a top and a bottom on",
)
async def try_on_combo(
    request: Request,
    user: CurrentUser,
    clients: ClientsDep,
    model_image: Annotated[UploadFile, File(description="the person's photo")],
    upper_product_id: ProductId,
    lower_product_id: ProductId,
    hd_mode: Annotated[bool, Form()] = False,
    run_async: Async = False,
):
    return await _try_on(
        request,
        clients,
        user,
        model_image,
        upper_product_id,
        lower_product_id,
        hd_mode,
        wait=not run_async,
        combo=True,
    )


@router.get(
    "/status/{task_id}",
    summary="A try-on task's progress",
    response_model=Envelope[TryOnData],
    responses=error_responses(
        401, 404, 422, *DOWNSTREAM, notes={404: "no such task of the caller's"}
    ),
)
async def status(task_id: str, request: Request, user: KnownUser, clients: ClientsDep):
    if user is None:
        raise ApiError(404, "try-on task not found")
    task = await clients.try_on_task(user, task_id)
    return envelope(_task_data(request, task, task.error or _STATUS_NAMES[task.status]))


@router.get(
    "/result/{task_id}",
    name="try_on_result",
    summary="A completed try-on's picture (its owner only)",
    responses={
        **image_response("the picture", "image/jpeg"),
        **error_responses(
            401,
            404,
            409,
            422,
            *DOWNSTREAM,
            notes={
                404: "no such task of the caller's, or its picture has expired",
                409: "the task has not completed",
            },
        ),
    },
    response_class=Response,
)
async def result(task_id: str, user: KnownUser, clients: ClientsDep) -> Response:
    if user is None:
        raise ApiError(404, "try-on task not found")
    picture = await clients.try_on_result(user, task_id)
    return Response(picture.content, media_type=picture.content_type, headers=_PRIVATE)


@router.get(
    "/proxy-image",
    summary="An allow-listed image, with CORS headers",
    responses={
        **image_response("the image", "image/jpeg", "image/png", "image/webp", "image/gif"),
        **error_responses(
            403,
            422,
            *DOWNSTREAM,
            notes={
                403: "a URL the proxy will not fetch (host, scheme, internal address)",
                502: "the image host answered badly (not an image, too large, an error)",
                504: "the image host did not answer in time",
            },
        ),
    },
    response_class=Response,
)
async def proxy_image(
    clients: ClientsDep,
    image_url: Annotated[str, Query(alias="imageUrl", min_length=1, max_length=2048)],
) -> Response:
    try:
        image = await clients.fetch_image(image_url)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.PERMISSION_DENIED:
            raise ApiError(403, error.details() or "this image URL is not allowed") from error
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
            raise ApiError(502, error.details() or "the image could not be fetched") from error
        raise
    return Response(image.content, media_type=image.content_type, headers=_PROXY_HEADERS)


@router.options("/proxy-image", include_in_schema=False)
async def proxy_image_preflight() -> Response:
    return Response(status_code=204, headers=_PROXY_HEADERS)


@router.get(
    "/proxy-test",
    summary="Checks the image proxy without reaching the internet",
    response_model=EmptyEnvelope,
    responses=error_responses(
        *DOWNSTREAM, notes={503: "the proxy pipeline does not work, or fitting-service is down"}
    ),
)
async def proxy_test(clients: ClientsDep):
    answer = await clients.proxy_self_test()
    if not answer.ok:
        raise ApiError(503, answer.message)
    return envelope(None, answer.message)

"""Objects of the local object store (product images, uploads) served at /media/<key>.

Only used when objects live in the local folder; with S3 the URLs point at the bucket.
"""

import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse

from gateway.errors import ApiError
from gateway.schemas import error_responses, image_response
from tftkit.object_store import LocalObjectStore, ObjectStoreSettings, is_private, safe_key

_ALLOWED_TYPES = {"image/png", "image/jpeg", "image/webp"}


def build_media_router(settings: ObjectStoreSettings) -> APIRouter:
    store = LocalObjectStore(settings.local_dir, settings.public_base_url)
    router = APIRouter(tags=["media"])

    @router.get(
        "/media/{key:path}",
        summary="An image from the local object store",
        response_class=FileResponse,
        responses={
            **image_response("the image", *sorted(_ALLOWED_TYPES)),
            **error_responses(404, 422, notes={404: "no such public image"}),
        },
    )
    async def media(key: str) -> FileResponse:
        try:
            path = store.path_for(key)
        except ValueError as error:
            raise ApiError(404, "not found") from error
        if is_private(safe_key(key)):
            raise ApiError(404, "not found")
        content_type = mimetypes.guess_type(path.name)[0]
        if content_type not in _ALLOWED_TYPES or not path.is_file():
            raise ApiError(404, "not found")
        return FileResponse(
            path,
            media_type=content_type,
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return router

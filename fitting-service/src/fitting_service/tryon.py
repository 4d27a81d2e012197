"""Try-ons: creating a task from a request (checked at once, so bad input never queues), and
running a task once a worker took it: photo → person → garments → engine → quality gate →
result in the object store."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import Image
from redis.asyncio import Redis

from fitting_service.body import BodyReader, PhotoRejected
from fitting_service.engines.base import EngineFailed, EngineTimedOut, RenderJob, Slot, TryOnEngine
from fitting_service.metrics import TASKS
from fitting_service.photos import encode_jpeg, read_photo
from fitting_service.product_client import GarmentPictureMissing, ProductClient, check_outfit
from fitting_service.quality_gate import check_result
from fitting_service.settings import FittingSettings
from fitting_service.tasks import (
    ErrorKind,
    Task,
    TaskStore,
    new_task_id,
    photo_key,
    result_key,
)
from tftkit import text
from tftkit.object_store import ObjectStore
from tftkit.rate_limit import RateLimited, take_slot

log = logging.getLogger(__name__)

_ENGINE_FAILED = "가상 피팅에 실패했어요. 잠시 후 다시 시도해 주세요."
_GARMENT_MISSING = "상품 이미지를 불러오지 못했어요. 다른 상품을 골라주세요."
_DAILY_CAP = "오늘 준비된 가상 피팅을 모두 사용했어요. 내일 다시 시도해 주세요."
# Catalog ids are short (the gateway takes at most 20 digits).
_MAX_PRODUCT_ID_CHARS = 64


class BadRequest(ValueError):
    """The request itself is wrong (the message says how)."""


class PhotoTooLarge(ValueError):
    """The photo is over the size limit."""


class DailyCapReached(Exception):
    """No more paid try-ons today."""


@dataclass(frozen=True)
class TryOnRequest:
    owner_id: str
    photo: bytes
    upper_product_id: str
    lower_product_id: str
    hd: bool
    combo: bool


class TryOns:
    def __init__(
        self,
        *,
        settings: FittingSettings,
        redis: Redis,
        tasks: TaskStore,
        objects: ObjectStore,
        products: ProductClient,
        reader: BodyReader,
        engines: dict[str, TryOnEngine],
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._tasks = tasks
        self._objects = objects
        self._products = products
        self._reader = reader
        self._engines = engines

    async def create(self, request: TryOnRequest) -> Task:
        """Checks the request, stores the photo (without metadata) and queues the task.

        Raises BadRequest, PhotoTooLarge, UnreadablePhoto, UnknownProduct, WrongSlot (also
        DressWithLower: a dress is tried on alone), RateLimited or DailyCapReached.
        """
        wanted = _slots(request)
        if len(request.photo) > self._settings.max_photo_bytes:
            limit = self._settings.max_photo_bytes // (1024 * 1024)
            raise PhotoTooLarge(f"사진이 너무 커요. {limit}MB 이하로 보내주세요.")
        check_outfit(
            [
                await self._products.garment(product_id=product_id, slot=slot)
                for slot, product_id in wanted.items()
            ]
        )
        photo = await asyncio.to_thread(
            read_photo, request.photo, max_side=self._settings.render_size_hd
        )
        await take_slot(
            redis=self._redis,
            key=f"tryon:{request.owner_id}",
            limit=self._settings.tasks_per_minute,
            window_seconds=60,
        )
        engine = self._settings.engine_name
        if engine == "fitroom":
            await self._count_paid_task()
        task_id = new_task_id()
        await self._objects.put(photo_key(task_id), photo.jpeg, "image/jpeg")
        return await self._tasks.create(
            task_id=task_id,
            owner_id=request.owner_id,
            engine=engine,
            hd=request.hd,
            upper_product_id=wanted.get("upper", ""),
            lower_product_id=wanted.get("lower", ""),
        )

    async def _count_paid_task(self) -> None:
        cap = self._settings.fitroom_daily_cap
        if cap <= 0:
            return
        key = self._tasks.daily_key(f"{datetime.now(UTC):%Y-%m-%d}")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * 24 * 3600)
            count, _ = await pipe.execute()
        if count > cap:
            await self._redis.decr(key)
            raise DailyCapReached(_DAILY_CAP)

    async def owned(self, *, task_id: str, owner_id: str) -> Task | None:
        """The task if it exists and belongs to `owner_id` (anyone else sees nothing)."""
        task = await self._tasks.get(task_id)
        return task if task is not None and task.owner_id == owner_id else None

    async def wait(self, *, task: Task, seconds: float) -> Task:
        """The task once it ended, or as it is after `seconds`."""
        deadline = asyncio.get_running_loop().time() + seconds
        delay = 0.05
        while not task.finished and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(delay)
            delay = min(0.25, delay * 1.5)
            task = await self._tasks.get(task.task_id) or task
        return task

    async def result(self, task: Task) -> bytes | None:
        return await self._objects.get(task.result_key) if task.result_key else None

    async def run(self, task: Task) -> None:
        """Runs a task this worker has taken, to COMPLETED or FAILED."""
        engine = self._engines[task.engine]
        outcome = "completed"
        try:
            await self._render(task, engine)
        except PhotoRejected as rejected:
            outcome = "photo_rejected"
            await self._tasks.fail(
                task.task_id, kind=ErrorKind.PHOTO_REJECTED, message=str(rejected)
            )
        except EngineTimedOut as error:
            outcome = "timed_out"
            log.warning("try-on %s timed out: %s", task.task_id, error)
            await self._tasks.fail(task.task_id, kind=ErrorKind.TIMED_OUT, message=error.message)
        except EngineFailed as error:
            outcome = "failed"
            log.warning("try-on %s failed: %s", task.task_id, error)
            await self._tasks.fail(
                task.task_id, kind=ErrorKind.ENGINE_FAILED, message=error.message
            )
        except GarmentPictureMissing as error:
            outcome = "failed"
            log.warning("try-on %s: garment picture missing: %r", task.task_id, error.__cause__)
            await self._tasks.fail(
                task.task_id, kind=ErrorKind.ENGINE_FAILED, message=_GARMENT_MISSING
            )
        except Exception:
            outcome = "failed"
            log.exception("try-on %s failed unexpectedly", task.task_id)
            await self._tasks.fail(
                task.task_id, kind=ErrorKind.ENGINE_FAILED, message=_ENGINE_FAILED
            )
        TASKS.labels(task.engine, outcome).inc()

    async def _render(self, task: Task, engine: TryOnEngine) -> None:
        data = await self._objects.get(task.photo_key)
        if data is None:
            raise EngineFailed(_ENGINE_FAILED, cause="the task's photo is gone")
        size = self._settings.render_size_hd if task.hd else self._settings.render_size
        photo = await asyncio.to_thread(read_photo, data, max_side=size)
        body = await self._reader.read(photo.image)
        wanted: dict[Slot, str] = {}
        if task.upper_product_id:
            wanted["upper"] = task.upper_product_id
        if task.lower_product_id:
            wanted["lower"] = task.lower_product_id
        body.require(set(wanted))
        await self._tasks.report_progress(task.task_id, 15)
        garments = []
        for slot, product_id in wanted.items():
            garment = await self._products.garment(product_id=product_id, slot=slot)
            garments.append(await self._products.picture(garment))
        await self._tasks.report_progress(task.task_id, 25)

        async def progress(value: int) -> None:
            await self._tasks.report_progress(task.task_id, 25 + value * 65 // 100)

        job = RenderJob(
            photo=photo.image,
            photo_jpeg=photo.jpeg,
            body=body,
            garments=tuple(garments),
            hd=task.hd,
        )
        picture = await engine.render(job, progress=progress)
        checked: Image.Image = await asyncio.to_thread(
            check_result, photo.image, body, picture, set(wanted), full_body=job.full_body
        )
        await self._tasks.report_progress(task.task_id, 95)
        encoded = (
            picture if task.engine == "local" else await asyncio.to_thread(encode_jpeg, checked, 93)
        )
        key = result_key(task.task_id)
        await self._objects.put(key, encoded, "image/jpeg")
        await self._tasks.complete(task.task_id, result=key)


def _product_id(value: str, field: str) -> str:
    # The text rule of tftkit.text, refusing: the id is stored with the task and quoted in
    # messages, so a control character (or a page of text) never gets that far.
    try:
        return text.checked(value.strip(), field=field, max_chars=_MAX_PRODUCT_ID_CHARS)
    except text.BadText as error:
        raise BadRequest(str(error)) from None


def _slots(request: TryOnRequest) -> dict[Slot, str]:
    wanted: dict[Slot, str] = {}
    upper = _product_id(request.upper_product_id, "upper_product_id")
    lower = _product_id(request.lower_product_id, "lower_product_id")
    if upper:
        wanted["upper"] = upper
    if lower:
        wanted["lower"] = lower
    if request.combo and len(wanted) < 2:
        raise BadRequest("combo try-on needs both upper_product_id and lower_product_id")
    if not wanted:
        raise BadRequest("give upper_product_id, lower_product_id or both")
    if not request.photo:
        raise BadRequest("model_image is required")
    return wanted


__all__ = [
    "BadRequest",
    "DailyCapReached",
    "PhotoTooLarge",
    "RateLimited",
    "TryOnRequest",
    "TryOns",
]

"""The try-on task pipeline as `server.serve()` builds it: FittingService over real gRPC, tasks in
a real Redis, photos and results in a local object store, garments from a small ProductService
served over real gRPC here, the MediaPipe person reader, and the local or FitRoom engine run
by the workers."""

import asyncio
import io
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
import redis.exceptions
from fitroom_server import PAINT, FitRoomServer
from PIL import Image
from redis.asyncio import Redis
from tryon_pictures import astronaut, cameraman, dress_png, encoded, garment_png, nobody

from fitting_service import body as body_module
from fitting_service.body import BodyReader
from fitting_service.engines import fitroom
from fitting_service.engines.base import DRESS_WITH_LOWER, Progress, RenderJob, TryOnEngine
from fitting_service.engines.fitroom import FitRoomEngine
from fitting_service.engines.local import LocalEngine
from fitting_service.product_client import ProductClient
from fitting_service.server import SERVICE_NAME
from fitting_service.servicer import FittingServicer
from fitting_service.settings import FittingSettings
from fitting_service.tasks import GROUP, TaskStore, new_task_id, photo_key, result_key
from fitting_service.tryon import TryOns
from fitting_service.workers import Workers
from tftkit.grpc_client import open_channel
from tftkit.object_store import LocalObjectStore
from tftkit.rate_limit import RETRY_AFTER_METADATA_KEY
from tftkit.redis import connect_redis
from tftkit.safe_fetch import SafeImageFetcher
from tftkit.testing import TEST_REDIS_URL, TestIdentities, serving
from thefirsttake.fitting.v1 import fitting_pb2, fitting_pb2_grpc
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

MEDIA = "http://media.test/media"
FITROOM_KEY = "fitroom-test-key-0123456789"
TOP, BOTTOM, SHOES, DRESS = "1", "2", "3", "4"
BLUE = (30, 60, 200)
RED = (200, 30, 40)
MAX_PHOTO_BYTES = 512 * 1024
PRODUCTS = {
    TOP: product_pb2.Product(
        product_id=TOP,
        product_name="블루 셔츠",
        main_category="TOP",
        color_hex="#1E3CC8",
        image_url=f"{MEDIA}/products/1.png",
    ),
    BOTTOM: product_pb2.Product(
        product_id=BOTTOM,
        product_name="레드 슬랙스",
        main_category="BOTTOM",
        color_hex="#C81E28",
        image_url=f"{MEDIA}/products/2.png",
    ),
    SHOES: product_pb2.Product(
        product_id=SHOES,
        product_name="스니커즈",
        main_category="SHOES",
        image_url=f"{MEDIA}/products/3.png",
    ),
    DRESS: product_pb2.Product(
        product_id=DRESS,
        product_name="레드 A라인 원피스",
        main_category="DRESS",
        color_hex="#C81E28",
        image_url=f"{MEDIA}/products/4.png",
    ),
}
PRODUCT_SERVICE = product_pb2.DESCRIPTOR.services_by_name["ProductService"].full_name
FINISHED = (fitting_pb2.COMPLETED, fitting_pb2.FAILED)


class Catalog(product_pb2_grpc.ProductServiceServicer):
    """GetProduct for the products above; NOT_FOUND for any other id."""

    async def GetProduct(self, request, context) -> product_pb2.Product:
        product = PRODUCTS.get(request.product_id)
        if product is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "product not found")
        return product


class CountingEngine:
    """An engine that counts its renders (a task must never be rendered twice)."""

    def __init__(self, inner: TryOnEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.renders = 0

    async def render(self, job: RenderJob, *, progress: Progress) -> bytes:
        self.renders += 1
        return await self.inner.render(job, progress=progress)


@dataclass
class Fitting:
    """The service's pieces, its gRPC stub, and helpers to drive it."""

    stub: fitting_pb2_grpc.FittingServiceStub
    settings: FittingSettings
    redis: Redis
    store: TaskStore
    objects: LocalObjectStore
    tryons: TryOns
    engine: CountingEngine
    identities: TestIdentities
    reclaim_idle_seconds: float | None
    started: list[Workers] = field(default_factory=list)

    async def start_workers(self, **overrides: Any) -> Workers:
        """Workers as server.serve() starts them (stopped when the test ends)."""
        options: dict[str, Any] = {
            "count": self.settings.workers,
            "task_timeout_seconds": self.settings.task_timeout_seconds,
            "reclaim_idle_seconds": self.reclaim_idle_seconds,
            **overrides,
        }
        workers = Workers(redis=self.redis, store=self.store, run=self.tryons.run, **options)
        await workers.start()
        self.started.append(workers)
        return workers

    def as_user(self, user: str) -> tuple[tuple[str, str], ...]:
        """Metadata of a call made for `user` (a token signed by the tests' own key)."""
        return self.identities.metadata(user)

    async def stop_workers(self) -> None:
        while self.started:
            await self.started.pop().stop()

    async def try_on(
        self,
        user: str,
        photo: bytes,
        *,
        upper: str = TOP,
        lower: str = "",
        combo: bool = False,
        wait: float = 0.0,
    ) -> fitting_pb2.TryOnTask:
        request = fitting_pb2.TryOnRequest(
            model_image=photo,
            upper_product_id=upper,
            lower_product_id=lower,
            combo=combo,
            wait_seconds=wait,
        )
        return await self.stub.TryOn(request, metadata=self.as_user(user), timeout=wait + 30)

    async def get(self, user: str, task_id: str) -> fitting_pb2.TryOnTask:
        request = fitting_pb2.GetTaskRequest(task_id=task_id)
        return await self.stub.GetTask(request, metadata=self.as_user(user), timeout=10)

    async def result(self, user: str, task_id: str) -> fitting_pb2.TaskResult:
        request = fitting_pb2.GetTaskRequest(task_id=task_id)
        return await self.stub.GetTaskResult(request, metadata=self.as_user(user), timeout=10)

    async def polled(
        self, user: str, task_id: str, *, seconds: float = 60
    ) -> list[fitting_pb2.TryOnTask]:
        """Every state GetTask showed, polling until the task ended (the last one)."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            seen.append(await self.get(user, task_id))
            if seen[-1].status in FINISHED:
                return seen
            await asyncio.sleep(0.02)
        raise AssertionError(f"task {task_id} did not end in {seconds}s: {seen[-1]}")

    async def finished(self, user: str, task_id: str) -> fitting_pb2.TryOnTask:
        return (await self.polled(user, task_id))[-1]

    async def queue_length(self) -> int:
        return await self.redis.xlen(self.store.queue)

    async def drained(self, seconds: float = 30) -> None:
        """Waits until every queue entry was delivered and acknowledged."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            groups = await self.redis.xinfo_groups(self.store.queue)
            group = next(g for g in groups if g["name"] == GROUP)
            if group["pending"] == 0 and group["lag"] == 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the queue did not drain: {group}")


async def _forget_tasks(redis: Redis, prefix: str) -> None:
    """Deletes this test's keys (each test has its own key prefix, so runs never meet)."""
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    keys += [key async for key in redis.scan_iter(match="ratelimit:tryon:*")]
    if keys:
        await redis.delete(*keys)


@asynccontextmanager
async def fitting_service(
    root: Path,
    reader: BodyReader,
    *,
    fitroom_url: str = "",
    reclaim_idle_seconds: float | None = None,
    **overrides: Any,
) -> AsyncIterator[Fitting]:
    """The service wired as server.serve() wires it, with small limits; workers not started."""
    values: dict[str, Any] = {
        "redis_url": TEST_REDIS_URL,
        "engine": "local",
        "workers": 2,
        "task_timeout_seconds": 30.0,
        "tasks_per_minute": 20,
        "max_photo_bytes": MAX_PHOTO_BYTES,
        "product_timeout_seconds": 5.0,
        "redis_key_prefix": f"fitting-test-{uuid.uuid4().hex[:8]}",
    }
    if fitroom_url:
        values |= {
            "engine": "fitroom",
            "fitroom_api_key": FITROOM_KEY,
            "fitroom_base_url": fitroom_url,
            "fitroom_request_timeout_seconds": 5.0,
            "fitroom_task_timeout_seconds": 15.0,
            "fitroom_poll_initial_seconds": 0.01,
            "fitroom_poll_max_seconds": 0.05,
        }
    settings = FittingSettings(**(values | overrides))
    objects = LocalObjectStore(root / "objects", MEDIA)
    await objects.put("products/1.png", garment_png("upper", BLUE), "image/png")
    await objects.put("products/2.png", garment_png("lower", RED), "image/png")
    await objects.put("products/3.png", garment_png("lower", RED), "image/png")
    await objects.put("products/4.png", dress_png(RED), "image/png")
    fetcher = SafeImageFetcher(
        allowed_hosts=[], store=objects, store_base_url=MEDIA, timeout_seconds=5.0
    )
    catalog = (product_pb2_grpc.add_ProductServiceServicer_to_server, Catalog(), PRODUCT_SERVICE)
    async with AsyncExitStack() as stack:
        product_address = await stack.enter_async_context(serving(catalog))
        product_channel = await stack.enter_async_context(open_channel(product_address))
        redis = await stack.enter_async_context(connect_redis(TEST_REDIS_URL))
        await _forget_tasks(redis, settings.redis_key_prefix)
        stack.push_async_callback(_forget_tasks, redis, settings.redis_key_prefix)
        engine: TryOnEngine = LocalEngine()
        if fitroom_url:
            fitroom_engine = FitRoomEngine.from_settings(settings)
            stack.push_async_callback(fitroom_engine.aclose)
            engine = fitroom_engine
        counting = CountingEngine(engine)
        store = TaskStore(
            redis, ttl_seconds=settings.task_ttl_seconds, prefix=settings.redis_key_prefix
        )
        tryons = TryOns(
            settings=settings,
            redis=redis,
            tasks=store,
            objects=objects,
            products=ProductClient(
                stub=product_pb2_grpc.ProductServiceStub(product_channel),
                fetcher=fetcher,
                timeout_seconds=settings.product_timeout_seconds,
            ),
            reader=reader,
            engines={counting.name: counting},
        )
        identities = TestIdentities()
        servicer = FittingServicer(
            tryons=tryons, fetcher=fetcher, tasks=store, verifier=identities.verifier
        )
        register = fitting_pb2_grpc.add_FittingServiceServicer_to_server
        registration = (register, servicer, SERVICE_NAME)
        address = await stack.enter_async_context(
            serving(registration, verifier=identities.verifier)
        )
        channel = await stack.enter_async_context(open_channel(address))
        service = Fitting(
            stub=fitting_pb2_grpc.FittingServiceStub(channel),
            settings=settings,
            redis=redis,
            store=store,
            objects=objects,
            tryons=tryons,
            engine=counting,
            identities=identities,
            reclaim_idle_seconds=reclaim_idle_seconds,
        )
        # Before the channel, server and Redis close (the exit stack unwinds last-in first).
        stack.push_async_callback(service.stop_workers)
        yield service


@pytest.fixture(scope="module")
def reader() -> Iterator[BodyReader]:
    """One person reader for the file (MediaPipe takes about two seconds to load)."""
    reader = BodyReader()
    yield reader
    reader.close()


@pytest.fixture
async def pipeline(tmp_path: Path, reader: BodyReader) -> AsyncIterator[Fitting]:
    """The local-engine service with no workers running yet."""
    async with fitting_service(tmp_path, reader) as service:
        yield service


@pytest.fixture
async def fitting(pipeline: Fitting) -> Fitting:
    """The local-engine service with its workers running."""
    await pipeline.start_workers()
    return pipeline


@pytest.fixture
def alice() -> str:
    return f"user-{uuid.uuid4()}"


@pytest.fixture
def bob() -> str:
    return f"user-{uuid.uuid4()}"


def _jpeg_with_gps(image: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 0.0), 3: "E", 4: (126.0, 58.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def _refused(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def _clear_of_window_edge(window_seconds: int = 60, margin: float = 3.0) -> None:
    """Waits out the last seconds of a fixed rate-limit window, so the calls share one."""
    left = window_seconds - time.time() % window_seconds
    if left < margin:
        await asyncio.sleep(left + 0.05)


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def test_a_try_on_completes_and_only_its_owner_sees_it(
    fitting: Fitting, alice: str, bob: str
):
    sent = _jpeg_with_gps(astronaut())
    assert _decoded(sent).getexif().get_ifd(0x8825)  # the upload does carry a location

    task = await fitting.try_on(alice, sent, wait=60)

    assert task.status == fitting_pb2.COMPLETED, task.error
    assert task.progress == 100
    assert task.engine == "local"
    assert task.error_kind == fitting_pb2.ERROR_KIND_UNSPECIFIED and not task.error
    result = await fitting.result(alice, task.task_id)
    assert result.content_type == "image/jpeg"
    picture = _decoded(result.content)
    assert picture.format == "JPEG"
    assert picture.size == astronaut().size
    assert fitting.engine.renders == 1

    # Another user is told nothing exists; a call without a verified identity is refused
    # (none at all, a bare user id, or a token signed by a key that is not auth-service's).
    by_id = fitting_pb2.GetTaskRequest(task_id=task.task_id)
    unproven = ((), (("x-user-id", alice),), TestIdentities().metadata(alice))
    for call in (fitting.stub.GetTask, fitting.stub.GetTaskResult):
        error = await _refused(call(by_id, metadata=fitting.as_user(bob), timeout=10))
        assert error.code() == grpc.StatusCode.NOT_FOUND
        for metadata in unproven:
            error = await _refused(call(by_id, metadata=metadata, timeout=10))
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    anonymous = fitting.stub.TryOn(
        fitting_pb2.TryOnRequest(model_image=sent, upper_product_id=TOP), timeout=10
    )
    assert (await _refused(anonymous)).code() == grpc.StatusCode.UNAUTHENTICATED

    stored = await fitting.objects.get(photo_key(task.task_id))
    assert stored is not None
    kept = _decoded(stored)
    assert kept.format == "JPEG" and kept.size == astronaut().size
    assert not kept.getexif()
    assert b"Exif" not in stored[:4096]


async def test_a_task_answered_at_once_is_polled_to_completion(fitting: Fitting, alice: str):
    started = time.monotonic()
    task = await fitting.try_on(alice, encoded(astronaut()), wait=0)
    assert time.monotonic() - started < 5

    assert task.status in (fitting_pb2.QUEUED, fitting_pb2.PROCESSING)
    assert task.progress < 100
    seen = [task, *await fitting.polled(alice, task.task_id)]
    assert seen[-1].status == fitting_pb2.COMPLETED, seen[-1].error
    progress = [state.progress for state in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    # QUEUED → PROCESSING → COMPLETED, never back.
    statuses = [state.status for state in seen]
    assert statuses == sorted(statuses)


async def test_a_guests_tasks_become_the_accounts_on_login(fitting: Fitting, alice: str, bob: str):
    task = await fitting.try_on(alice, encoded(astronaut()), wait=60)
    account = fitting.identities.metadata(bob, guest=False)
    proof = fitting_pb2.MergeGuestTasksRequest(guest_token=fitting.identities.token(alice))
    merged = await fitting.stub.MergeGuestTasks(proof, metadata=account, timeout=10)
    assert merged.merged_tasks == 1
    mine = await fitting.stub.GetTask(
        fitting_pb2.GetTaskRequest(task_id=task.task_id), metadata=account, timeout=10
    )
    assert mine.status == fitting_pb2.COMPLETED
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await fitting.get(alice, task.task_id)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    again = await fitting.stub.MergeGuestTasks(proof, metadata=account, timeout=10)
    assert again.merged_tasks == 0
    # Without the guest's own token, or for another guest: refused.
    for token, caller in (("", account), (fitting.identities.token(alice), fitting.as_user(bob))):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await fitting.stub.MergeGuestTasks(
                fitting_pb2.MergeGuestTasksRequest(guest_token=token), metadata=caller, timeout=10
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_photo_without_a_person_fails_the_task_with_a_reason(fitting: Fitting, alice: str):
    task = await fitting.try_on(alice, encoded(nobody()), wait=60)

    assert task.status == fitting_pb2.FAILED
    assert task.error_kind == fitting_pb2.PHOTO_REJECTED
    assert task.error == body_module.NO_PERSON
    assert fitting.engine.renders == 0
    error = await _refused(fitting.result(alice, task.task_id))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(
    ("photo", "upper", "lower", "combo", "code"),
    [
        (b"this is not a picture", TOP, "", False, grpc.StatusCode.INVALID_ARGUMENT),
        (b"", TOP, "", False, grpc.StatusCode.INVALID_ARGUMENT),
        (b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES, TOP, "", False, grpc.StatusCode.OUT_OF_RANGE),
        (None, "no-such-product", "", False, grpc.StatusCode.NOT_FOUND),
        (None, SHOES, "", False, grpc.StatusCode.FAILED_PRECONDITION),
        (None, "", SHOES, False, grpc.StatusCode.FAILED_PRECONDITION),
        (None, BOTTOM, "", False, grpc.StatusCode.FAILED_PRECONDITION),
        (None, TOP, "", True, grpc.StatusCode.INVALID_ARGUMENT),
        (None, "", "", False, grpc.StatusCode.INVALID_ARGUMENT),
        (None, DRESS, BOTTOM, False, grpc.StatusCode.FAILED_PRECONDITION),
        (None, DRESS, BOTTOM, True, grpc.StatusCode.FAILED_PRECONDITION),
        (None, "", DRESS, False, grpc.StatusCode.FAILED_PRECONDITION),
        # The text rule (tftkit.text): ids are stored with the task; NUL was a database error
        # in product-service.
        (None, f"{TOP}\x00", "", False, grpc.StatusCode.INVALID_ARGUMENT),
        (None, "", "\x1b[31m", False, grpc.StatusCode.INVALID_ARGUMENT),
        (None, "9" * 65, "", False, grpc.StatusCode.INVALID_ARGUMENT),
    ],
    ids=[
        "not-an-image",
        "no-photo",
        "too-large",
        "unknown-product",
        "shoes-as-top",
        "shoes-as-bottom",
        "bottom-as-top",
        "combo-with-one-garment",
        "no-garment",
        "dress-with-a-bottom",
        "dress-in-a-combo",
        "dress-as-bottom",
        "nul-in-id",
        "control-character-in-id",
        "over-long-id",
    ],
)
async def test_bad_requests_fail_at_once_without_a_task(
    pipeline: Fitting,
    alice: str,
    photo: bytes | None,
    upper: str,
    lower: str,
    combo: bool,
    code: grpc.StatusCode,
):
    before = await pipeline.queue_length()
    photo = encoded(astronaut()) if photo is None else photo

    call = pipeline.try_on(alice, photo, upper=upper, lower=lower, combo=combo, wait=30)
    error = await _refused(call)

    assert error.code() == code, error.details()
    assert error.details()
    assert await pipeline.queue_length() == before
    assert not [
        key
        async for key in pipeline.redis.scan_iter(
            match=f"{pipeline.settings.redis_key_prefix}:task:*"
        )
    ]


async def test_a_dress_is_tried_on_alone(fitting: Fitting, alice: str):
    error = await _refused(fitting.try_on(alice, encoded(cameraman()), upper=DRESS, lower=BOTTOM))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == DRESS_WITH_LOWER
    as_bottom = await _refused(fitting.try_on(alice, encoded(cameraman()), upper="", lower=DRESS))
    assert "원피스" in as_bottom.details() and "상의" in as_bottom.details()

    task = await fitting.try_on(alice, encoded(cameraman()), upper=DRESS, wait=60)

    assert task.status == fitting_pb2.COMPLETED, task.error
    picture = np.asarray(_decoded((await fitting.result(alice, task.task_id)).content))
    before = np.asarray(cameraman()).astype(np.float32)
    # The legs changed as well as the chest: the thighs are red now.
    height = picture.shape[0]
    changed = np.abs(picture.astype(np.float32) - before).mean(axis=2) > 40
    assert changed[int(0.35 * height) : int(0.5 * height)].mean() > 0.05
    assert changed[int(0.65 * height) : int(0.8 * height)].mean() > 0.05


async def test_too_many_try_ons_a_minute_are_refused_with_retry_after(
    tmp_path: Path, reader: BodyReader, alice: str, bob: str
):
    photo = encoded(astronaut())
    async with fitting_service(tmp_path, reader, tasks_per_minute=2) as service:
        await _clear_of_window_edge()
        for _ in range(2):
            await service.try_on(alice, photo)

        error = await _refused(service.try_on(alice, photo))

        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        trailing = dict(error.trailing_metadata() or ())
        assert 1 <= int(trailing[RETRY_AFTER_METADATA_KEY]) <= 60
        assert await service.queue_length() == 2
        # The limit is per person.
        await service.try_on(bob, photo)
        assert await service.queue_length() == 3


async def test_a_task_is_taken_by_one_worker_only(pipeline: Fitting, alice: str):
    task_id = new_task_id()
    task = await pipeline.store.create(
        task_id=task_id,
        owner_id=alice,
        engine="local",
        hd=False,
        upper_product_id=TOP,
        lower_product_id="",
    )
    assert task.status == "QUEUED"

    assert await pipeline.store.take(task_id, worker="a") is True
    assert await pipeline.store.take(task_id, worker="b") is False

    taken = await pipeline.store.get(task_id)
    assert taken is not None and taken.status == "PROCESSING"
    assert (
        await pipeline.redis.hget(f"{pipeline.settings.redis_key_prefix}:task:{task_id}", "worker")
        == "a"
    )
    assert await pipeline.store.take(new_task_id(), worker="a") is False


async def test_a_task_queued_twice_runs_once(pipeline: Fitting, alice: str):
    task = await pipeline.try_on(alice, encoded(astronaut()))
    # The same task handed out again (as after a replayed or duplicated queue entry).
    await pipeline.redis.xadd(pipeline.store.queue, {"task_id": task.task_id})
    assert await pipeline.queue_length() == 2

    # Two workers race for the two entries.
    await pipeline.start_workers(count=2)
    done = await pipeline.finished(alice, task.task_id)
    await pipeline.drained()

    assert done.status == fitting_pb2.COMPLETED, done.error
    assert pipeline.engine.renders == 1


async def test_recovery_runs_what_a_dead_worker_held_and_never_reruns_a_started_task(
    tmp_path: Path, reader: BodyReader, alice: str
):
    photo = encoded(astronaut())
    async with fitting_service(tmp_path, reader, reclaim_idle_seconds=0.2) as service:
        await service.store.ensure_queue()
        waiting = await service.try_on(alice, photo)
        running = await service.try_on(alice, photo)
        # A worker received both entries and died: one before taking its task, one mid-run.
        answer = await service.redis.xreadgroup(
            GROUP, "dead-worker", {service.store.queue: ">"}, count=10
        )
        assert len(answer[0][1]) == 2
        assert await service.store.take(running.task_id, worker="dead-worker")
        await asyncio.sleep(0.3)  # past the idle time after which recovery takes entries over

        await service.start_workers()
        recovered = await service.finished(alice, waiting.task_id)
        interrupted = await service.finished(alice, running.task_id)
        await service.drained()

        assert recovered.status == fitting_pb2.COMPLETED, recovered.error
        assert interrupted.status == fitting_pb2.FAILED
        assert interrupted.error_kind == fitting_pb2.INTERRUPTED
        assert interrupted.error
        # Only the task nobody had started was rendered.
        assert service.engine.renders == 1


async def test_a_task_whose_photo_is_gone_fails_and_the_worker_goes_on(
    tmp_path: Path, reader: BodyReader, alice: str
):
    photo = encoded(astronaut())
    # One worker: the task after the broken one is run by the very same loop.
    async with fitting_service(tmp_path, reader, workers=1) as service:
        broken = await service.try_on(alice, photo)
        service.objects.path_for(photo_key(broken.task_id)).unlink()
        healthy = await service.try_on(alice, photo)

        await service.start_workers()
        failed = await service.finished(alice, broken.task_id)
        done = await service.finished(alice, healthy.task_id)

        assert failed.status == fitting_pb2.FAILED
        assert failed.error_kind == fitting_pb2.ENGINE_FAILED
        assert failed.error
        assert done.status == fitting_pb2.COMPLETED, done.error
        assert service.engine.renders == 1


async def test_a_redis_error_on_one_entry_neither_stops_the_worker_nor_loses_the_task(
    tmp_path: Path, reader: BodyReader, alice: str, monkeypatch: pytest.MonkeyPatch
):
    photo = encoded(astronaut())
    async with fitting_service(tmp_path, reader, workers=1) as service:
        unlucky = await service.try_on(alice, photo)
        lucky = await service.try_on(alice, photo)
        take = service.store.take
        failures = [redis.exceptions.ConnectionError("Connection reset by peer")]

        async def flaky_take(task_id: str, *, worker: str) -> bool:
            if failures:
                raise failures.pop()
            return await take(task_id, worker=worker)

        monkeypatch.setattr(service.store, "take", flaky_take)
        await service.start_workers()

        # The one worker survives the error and runs the next task.
        done = await service.finished(alice, lucky.task_id)
        assert done.status == fitting_pb2.COMPLETED, done.error
        # The unlucky task was not taken, and its entry was not acknowledged ...
        assert (await service.get(alice, unlucky.task_id)).status == fitting_pb2.QUEUED
        pending = await service.redis.xpending(service.store.queue, GROUP)
        assert pending["pending"] == 1

        # ... so recovery (here another replica's) runs it.
        await service.start_workers(reclaim_idle_seconds=0.2)
        recovered = await service.finished(alice, unlucky.task_id)
        await service.drained()
        assert recovered.status == fitting_pb2.COMPLETED, recovered.error
        assert service.engine.renders == 2


async def test_fitroom_result_passes_the_gate_and_completes(
    tmp_path: Path, reader: BodyReader, alice: str
):
    photo = encoded(astronaut())
    async with (
        FitRoomServer(api_key=FITROOM_KEY, polls_to_complete=2) as fitroom_server,
        fitting_service(tmp_path, reader, fitroom_url=fitroom_server.base_url) as service,
    ):
        await service.start_workers()
        task = await service.try_on(alice, photo, wait=60)

        assert task.status == fitting_pb2.COMPLETED, task.error
        assert task.engine == "fitroom" and task.progress == 100
        assert len(fitroom_server.creates) == 1 and len(fitroom_server.polls) == 2
        picture = _decoded((await service.result(alice, task.task_id)).content).convert("RGB")
        assert picture.size == astronaut().size
        # FitRoom's picture (the photo with a painted box), re-encoded as our JPEG.
        center = np.asarray(picture.getpixel((256, 256)), dtype=int)
        assert np.abs(center - PAINT).max() < 12
        daily = [
            key
            async for key in service.redis.scan_iter(
                match=f"{service.settings.redis_key_prefix}:fitroom:daily:*"
            )
        ]
        assert [await service.redis.get(key) for key in daily] == ["1"]


async def test_a_failed_fitroom_task_fails_without_fitroom_text(
    tmp_path: Path, reader: BodyReader, alice: str
):
    async with (
        FitRoomServer(api_key=FITROOM_KEY, scenario="fail", polls_to_complete=2) as fitroom_server,
        fitting_service(tmp_path, reader, fitroom_url=fitroom_server.base_url) as service,
    ):
        await service.start_workers()
        task = await service.try_on(alice, encoded(astronaut()), wait=60)

    assert task.status == fitting_pb2.FAILED
    assert task.error_kind == fitting_pb2.ENGINE_FAILED
    assert task.error == fitroom.MSG_TASK_FAILED
    for secret in (fitroom_server.error_text, "FITROOM", "pose", "http"):
        assert secret not in task.error


async def test_the_fitroom_daily_cap_refuses_more_tasks(
    tmp_path: Path, reader: BodyReader, alice: str, bob: str
):
    photo = encoded(astronaut())
    async with (
        FitRoomServer(api_key=FITROOM_KEY) as fitroom_server,
        fitting_service(
            tmp_path, reader, fitroom_url=fitroom_server.base_url, fitroom_daily_cap=1
        ) as service,
    ):
        first = await service.try_on(alice, photo)
        assert first.engine == "fitroom"

        # The cap is for everyone together, not per person.
        for user in (alice, bob):
            error = await _refused(service.try_on(user, photo))
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "내일" in error.details()

        assert await service.queue_length() == 1
        daily = [
            key
            async for key in service.redis.scan_iter(
                match=f"{service.settings.redis_key_prefix}:fitroom:daily:*"
            )
        ]
        # A refused task is not counted.
        assert [await service.redis.get(key) for key in daily] == ["1"]
    assert not fitroom_server.creates


async def test_an_unchanged_fitroom_picture_is_refused_by_the_gate(
    tmp_path: Path, reader: BodyReader, alice: str
):
    async with (
        FitRoomServer(api_key=FITROOM_KEY, scenario="unchanged", polls_to_complete=2) as server,
        fitting_service(tmp_path, reader, fitroom_url=server.base_url) as service,
    ):
        await service.start_workers()
        task = await service.try_on(alice, encoded(astronaut()), wait=60)

        assert task.status == fitting_pb2.FAILED
        assert task.error_kind == fitting_pb2.ENGINE_FAILED
        assert "자연스럽지" in task.error
        # FitRoom did answer: the gate, not the engine, refused the picture.
        assert len(server.downloads) == 1
        assert not await service.objects.exists(result_key(task.task_id))

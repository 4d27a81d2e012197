"""FitRoom's hosted try-on: create a task, poll it until done, download the picture."""

import asyncio
import email.utils
import io
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from fitting_service.engines.base import EngineFailed, EngineTimedOut, Progress, RenderJob

if TYPE_CHECKING:
    from fitting_service.settings import FittingSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_RESULT_BYTES = 20 * 1024 * 1024
POLL_BACKOFF = 1.6
# Tries of a create call that failed before anything was sent (so no task can exist yet), and
# of the download (polls are retried until the deadline: the task is paid for already).
CREATE_CONNECT_ATTEMPTS = 3
DOWNLOAD_ATTEMPTS = 3

MSG_AUTH = "가상 피팅 서비스 인증에 실패했어요. 잠시 후 다시 시도해 주세요."
MSG_BUSY = "가상 피팅 요청이 많아 잠시 바빠요. 조금 뒤에 다시 시도해 주세요."
MSG_TASK_FAILED = "가상 피팅에 실패했어요. 다른 사진으로 다시 시도해 주세요."
MSG_GENERIC = "가상 피팅 중 문제가 생겼어요. 잠시 후 다시 시도해 주세요."
MSG_TIMEOUT = "가상 피팅이 너무 오래 걸려요. 잠시 후 다시 시도해 주세요."


class _Transient(Exception):
    """A failure worth trying again (connection trouble, 5xx, 429)."""

    def __init__(self, cause: str, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.retry_after = retry_after


def _sniff(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG or WEBP bytes, None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _as_upload(data: bytes) -> tuple[bytes, str]:
    """The bytes and MIME type to upload; other formats are re-encoded as PNG."""
    mime = _sniff(data)
    if mime:
        return data, mime
    # FitRoom takes PNG/JPEG/WEBP only, but imported products may be stored as GIF, BMP, ….
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            buffer = io.BytesIO()
            image.convert("RGBA").save(buffer, "PNG")
    except Exception as exc:
        raise _fail(MSG_GENERIC, f"garment image unreadable: {exc!r}") from exc
    return buffer.getvalue(), "image/png"


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta or HTTP date), None when absent or unreadable."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _fail(message: str, cause: str) -> EngineFailed:
    """An EngineFailed whose cause is also logged (the person only sees `message`)."""
    log.warning("fitroom: %s", cause)
    return EngineFailed(message, cause=cause)


def _check(what: str, response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a 2xx answer; auth and other refusals become EngineFailed."""
    code = response.status_code
    if code in (401, 403):
        raise _fail(MSG_AUTH, f"{what}: HTTP {code} {response.text[:200]!r}")
    if not response.is_success:
        raise _fail(MSG_GENERIC, f"{what}: HTTP {code} {response.text[:200]!r}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _fail(MSG_GENERIC, f"{what}: not a JSON object: {response.text[:200]!r}")
    return body


class _Reporter:
    """Forwards progress to the callback, only ever upwards."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._last = -1

    async def __call__(self, value: int) -> None:
        value = max(0, min(100, value))
        if value > self._last:
            self._last = value
            await self._progress(value)


class FitRoomEngine:
    """Try-on by FitRoom's v2 task API."""

    name = "fitroom"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        request_timeout_seconds: float = 20.0,
        task_timeout_seconds: float = 300.0,
        poll_initial_seconds: float = 1.0,
        poll_max_seconds: float = 8.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"X-API-KEY": api_key}
        self._timeout = httpx.Timeout(request_timeout_seconds)
        self._task_timeout = task_timeout_seconds
        self._poll_initial = poll_initial_seconds
        self._poll_max = max(poll_max_seconds, poll_initial_seconds)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=self._timeout)

    @classmethod
    def from_settings(
        cls, settings: "FittingSettings", *, client: httpx.AsyncClient | None = None
    ) -> "FitRoomEngine":
        """An engine configured from the service settings."""
        return cls(
            base_url=settings.fitroom_base_url,
            api_key=settings.fitroom_api_key,
            request_timeout_seconds=settings.fitroom_request_timeout_seconds,
            task_timeout_seconds=settings.fitroom_task_timeout_seconds,
            poll_initial_seconds=settings.fitroom_poll_initial_seconds,
            poll_max_seconds=settings.fitroom_poll_max_seconds,
            client=client,
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this engine created it."""
        if self._owns_client:
            await self._client.aclose()

    async def render(self, job: RenderJob, *, progress: Progress) -> bytes:
        """Run one FitRoom task for the job and return the picture it made."""
        report = _Reporter(progress)
        started = time.monotonic()
        task_id = ""
        try:
            async with asyncio.timeout(self._task_timeout) as scope:
                task_id = await self._create(job)
                await report(5)
                url = await self._wait(task_id, scope, report)
                image = await self._download(task_id, url, scope)
        except TimeoutError:
            cause = f"task {task_id or '(not created)'} not done in {self._task_timeout:g}s"
            log.warning("fitroom: %s", cause)
            raise EngineTimedOut(MSG_TIMEOUT, cause=cause) from None
        await report(100)
        elapsed = time.monotonic() - started
        log.info("fitroom task %s done in %.1fs (%d bytes)", task_id, elapsed, len(image))
        return image

    async def _create(self, job: RenderJob) -> str:
        """Start a task; never sent twice once it may have reached FitRoom."""
        garments = [g for g in (job.garment("upper"), job.garment("lower")) if g is not None]
        if not garments:
            raise _fail(MSG_GENERIC, "create: the job has no garment")
        # A single garment always goes in cloth_image; cloth_type says which kind it is.
        # A dress is sent as `upper`: FitRoom's docs say its clothes check tells upper, lower
        # and full-body clothes apart, but we found no documented cloth_type value for a
        # full-body garment in the create call, and `upper` is one it takes (a dress is
        # always alone, see RenderJob).
        cloth_type = "combo" if len(garments) == 2 else garments[0].slot
        files = [("model_image", ("model.jpg", job.photo_jpeg, "image/jpeg"))]
        for part, garment in zip(("cloth_image", "lower_cloth_image"), garments, strict=False):
            data, mime = await asyncio.to_thread(_as_upload, garment.image)
            files.append((part, (f"{part}.{mime.split('/')[1]}", data, mime)))
        fields = {"cloth_type": cloth_type}
        if job.hd:
            fields["hd_mode"] = "true"

        url = f"{self._base_url}/api/tryon/v2/tasks"
        for attempt in range(1, CREATE_CONNECT_ATTEMPTS + 1):
            try:
                response = await self._client.post(
                    url, files=files, data=fields, headers=self._headers, timeout=self._timeout
                )
                break
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached FitRoom, so trying again cannot start a second paid task.
                if attempt == CREATE_CONNECT_ATTEMPTS:
                    raise _fail(MSG_GENERIC, f"create: cannot connect: {exc!r}") from exc
                await asyncio.sleep(self._poll_initial * attempt)
            except httpx.TransportError as exc:
                # The request may have started a paid task; retrying could run it twice.
                raise _fail(MSG_GENERIC, f"create: failed after sending: {exc!r}") from exc
        if response.status_code == 429:
            raise _fail(MSG_BUSY, f"create: HTTP 429 {response.text[:200]!r}")
        body = _check("create", response)
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise _fail(MSG_GENERIC, f"create: no task_id in {str(body)[:200]!r}")
        log.info("fitroom task %s created (%s, hd=%s)", task_id, cloth_type, job.hd)
        return task_id

    async def _wait(self, task_id: str, scope: asyncio.Timeout, report: _Reporter) -> str:
        """Poll the task until it completes; its download URL."""
        url = f"{self._base_url}/api/tryon/v2/tasks/{quote(task_id, safe='')}"
        delay = self._poll_initial
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * POLL_BACKOFF, self._poll_max)
            body = await self._retrying(scope, f"task {task_id} poll", lambda: self._poll(url))
            status = str(body.get("status", "")).upper()
            if status == "COMPLETED":
                download = body.get("download_signed_url")
                if not (isinstance(download, str) and download.startswith(("https://", "http://"))):
                    raise _fail(MSG_GENERIC, f"task {task_id} COMPLETED without a download URL")
                return download
            if status == "FAILED":
                raise _fail(MSG_TASK_FAILED, f"task {task_id} FAILED: {body.get('error')!r}")
            value = body.get("progress")
            if isinstance(value, int | float):
                # FitRoom's 0..100 fills 5..95 of ours; upload and download take the rest.
                await report(5 + int(value) * 90 // 100)

    async def _poll(self, url: str) -> dict[str, Any]:
        """One status call."""
        try:
            response = await self._client.get(url, headers=self._headers, timeout=self._timeout)
        except httpx.TransportError as exc:
            raise _Transient(repr(exc)) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}", _retry_after(response))
        return _check("poll", response)

    async def _download(self, task_id: str, url: str, scope: asyncio.Timeout) -> bytes:
        """The result picture."""
        what = f"task {task_id} download"
        data = await self._retrying(scope, what, lambda: self._fetch(url), DOWNLOAD_ATTEMPTS)
        if _sniff(data[:16]) is None:
            raise _fail(MSG_GENERIC, f"{what}: not a PNG/JPEG/WEBP image")
        return data

    async def _fetch(self, url: str) -> bytes:
        """One GET of the signed URL, size-capped."""
        where = urlsplit(url)._replace(query="").geturl()  # the query holds the signature
        try:
            # No API key: the signed URL is its own credential and may be on another host.
            async with self._client.stream(
                "GET", url, timeout=self._timeout, follow_redirects=True
            ) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Transient(f"HTTP {response.status_code}", _retry_after(response))
                if not response.is_success:
                    raise _fail(MSG_GENERIC, f"download {where}: HTTP {response.status_code}")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_RESULT_BYTES:
                        raise _fail(MSG_GENERIC, f"download {where}: over {MAX_RESULT_BYTES} bytes")
        except httpx.TransportError as exc:
            raise _Transient(repr(exc)) from exc
        return bytes(data)

    async def _retrying(
        self,
        scope: asyncio.Timeout,
        what: str,
        call: Callable[[], Awaitable[T]],
        attempts: int | None = None,
    ) -> T:
        """call(), tried again with backoff after transient failures, within the deadline."""
        wait, attempt = self._poll_initial, 1
        while True:
            try:
                return await call()
            except _Transient as exc:
                if attempts is not None and attempt >= attempts:
                    raise _fail(MSG_GENERIC, f"{what}: {exc}") from exc
                pause = max(wait, exc.retry_after or 0.0)
                log.warning("fitroom %s: %s; again in %.2fs", what, exc, pause)
                deadline = scope.when()
                if deadline is not None and asyncio.get_running_loop().time() + pause >= deadline:
                    # Give up now rather than sleep past the deadline (e.g. a long Retry-After).
                    raise TimeoutError from exc
            await asyncio.sleep(pause)
            wait, attempt = min(wait * POLL_BACKOFF, self._poll_max), attempt + 1

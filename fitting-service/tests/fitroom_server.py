"""A local HTTP server that speaks FitRoom's v2 try-on protocol, with scripted scenarios."""

import asyncio
import io
import secrets
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tftkit.testing import AsgiTestServer

# The colour painted over the middle third of the model image to make the "result".
PAINT = (255, 0, 170)

Scenario = Literal[
    "complete",  # PROCESSING for polls_to_complete - 1 polls, then COMPLETED
    "fail",  # FAILED with error_text after polls_to_complete polls
    "never",  # PROCESSING forever
    "busy",  # 429 with Retry-After on create
    "create_hangs",  # create records the task, then answers only when the server stops
    "malformed",  # a non-JSON 200 answer on create
    "malformed_poll",  # a non-JSON 200 answer on polls
    "no_url",  # COMPLETED without download_signed_url
    "poll_500_once",  # the first poll answers 500, then as "complete"
    "poll_429_once",  # the first poll answers 429 with Retry-After, then as "complete"
    "not_image",  # COMPLETED, but the signed URL serves HTML
    "unchanged",  # COMPLETED, but the signed URL serves the model image untouched
]


@dataclass
class CreateRecord:
    """What one create request carried."""

    api_key: str | None
    status: int  # the HTTP status answered
    cloth_type: str | None
    hd_mode: str | None
    parts: dict[str, str]  # part name → content type ("text" for plain fields)
    files: dict[str, bytes]


@dataclass
class _Task:
    model_image: bytes
    polls: int = 0
    signature: str = field(default_factory=lambda: secrets.token_urlsafe(12))


class FitRoomServer:
    """`async with FitRoomServer(scenario=...) as server:` serves at `server.base_url`."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        scenario: Scenario = "complete",
        polls_to_complete: int = 3,
        error_text: str = "FITROOM-SECRET-ERROR: pose not detected",
        retry_after: str = "1",
    ) -> None:
        self.api_key = api_key
        self.scenario = scenario
        self.polls_to_complete = polls_to_complete
        self.error_text = error_text
        self.retry_after = retry_after
        self.creates: list[CreateRecord] = []
        self.polls: list[str | None] = []  # the API key of each poll
        self.downloads: list[dict[str, str]] = []  # the headers of each download
        self.tasks: dict[str, _Task] = {}
        self._release = asyncio.Event()
        self.base_url = ""
        self.app = Starlette(
            routes=[
                Route("/api/tryon/v2/tasks", self._create, methods=["POST"]),
                Route("/api/tryon/v2/tasks/{task_id}", self._poll, methods=["GET"]),
                Route("/signed/{name}", self._signed, methods=["GET"]),
            ]
        )

    async def __aenter__(self) -> "FitRoomServer":
        self._http = AsgiTestServer(self.app, name="FitRoom")
        base_url = await self._http.start()
        self.base_url = base_url
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        await self._http.stop()

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("x-api-key") == self.api_key

    async def _create(self, request: Request) -> Response:
        parts: dict[str, str] = {}
        files: dict[str, bytes] = {}
        texts: dict[str, str] = {}
        try:
            async with request.form() as form:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        parts[name] = value.content_type or ""
                        files[name] = await value.read()
                    else:
                        parts[name] = "text"
                        texts[name] = value
        except Exception as exc:
            return self._record(request, 400, {}, {}, {"error": f"bad form: {exc}"})
        if not self._authorized(request):
            return self._record(request, 401, parts, files, {"error": "invalid api key"}, texts)
        if "model_image" not in files or "cloth_image" not in files:
            error = {"error": "model_image and cloth_image are required"}
            return self._record(request, 400, parts, files, error, texts)
        cloth_type = texts.get("cloth_type")
        if cloth_type not in ("upper", "lower", "combo"):
            error = {"error": "cloth_type must be upper, lower or combo"}
            return self._record(request, 400, parts, files, error, texts)
        if cloth_type == "combo" and "lower_cloth_image" not in files:
            error = {"error": "combo needs lower_cloth_image"}
            return self._record(request, 400, parts, files, error, texts)
        if self.scenario == "busy":
            self._record(request, 429, parts, files, None, texts)
            return JSONResponse(
                {"error": "rate limited"}, 429, headers={"Retry-After": self.retry_after}
            )
        if self.scenario == "malformed":
            self._record(request, 200, parts, files, None, texts)
            return PlainTextResponse("<html>oops</html>")
        task_id = secrets.token_hex(8)
        self.tasks[task_id] = _Task(files["model_image"])
        self._record(request, 200, parts, files, None, texts)
        if self.scenario == "create_hangs":
            # The task exists (and is paid for) but the answer never arrives in time.
            await self._release.wait()
        return JSONResponse({"task_id": task_id, "status": "CREATED"})

    def _record(
        self,
        request: Request,
        status: int,
        parts: dict[str, str],
        files: dict[str, bytes],
        error: dict[str, str] | None,
        texts: dict[str, str] | None = None,
    ) -> Response:
        texts = texts or {}
        self.creates.append(
            CreateRecord(
                api_key=request.headers.get("x-api-key"),
                status=status,
                cloth_type=texts.get("cloth_type"),
                hd_mode=texts.get("hd_mode"),
                parts=parts,
                files=files,
            )
        )
        return JSONResponse(error or {}, status)

    async def _poll(self, request: Request) -> Response:
        self.polls.append(request.headers.get("x-api-key"))
        if not self._authorized(request):
            return JSONResponse({"error": "invalid api key"}, 401)
        task_id = request.path_params["task_id"]
        task = self.tasks.get(task_id)
        if task is None:
            return JSONResponse({"error": "task not found"}, 404)
        task.polls += 1
        if self.scenario == "malformed_poll":
            return PlainTextResponse("not json at all")
        if self.scenario == "poll_500_once" and task.polls == 1:
            return PlainTextResponse("internal error", 500)
        if self.scenario == "poll_429_once" and task.polls == 1:
            return JSONResponse({"error": "slow down"}, 429, {"Retry-After": self.retry_after})
        answer = {"task_id": task_id, "download_signed_url": None, "error": None}
        polls = task.polls - (1 if self.scenario in ("poll_500_once", "poll_429_once") else 0)
        if self.scenario == "never" or polls < self.polls_to_complete:
            status = "CREATED" if polls <= 1 and self.scenario != "never" else "PROCESSING"
            progress = min(99, polls * 100 // max(1, self.polls_to_complete))
            return JSONResponse({**answer, "status": status, "progress": progress})
        if self.scenario == "fail":
            failed = {**answer, "status": "FAILED", "progress": 0, "error": self.error_text}
            return JSONResponse(failed)
        url = f"{self.base_url}/signed/{task_id}.png?sig={task.signature}"
        if self.scenario == "no_url":
            url = None
        return JSONResponse(
            {**answer, "status": "COMPLETED", "progress": 100, "download_signed_url": url}
        )

    async def _signed(self, request: Request) -> Response:
        self.downloads.append(dict(request.headers))
        task = self.tasks.get(request.path_params["name"].removesuffix(".png"))
        if task is None or request.query_params.get("sig") != task.signature:
            return PlainTextResponse("AccessDenied", 403)
        if self.scenario == "not_image":
            return PlainTextResponse("<html>not an image</html>", media_type="text/html")
        if self.scenario == "unchanged":
            return Response(task.model_image, media_type="image/jpeg")
        return Response(_paint(task.model_image), media_type="image/png")


def _paint(model_image: bytes) -> bytes:
    """The model image with a solid PAINT box over its middle third."""
    with Image.open(io.BytesIO(model_image)) as source:
        image = source.convert("RGB")
    width, height = image.size
    image.paste(PAINT, (width // 3, height // 3, 2 * width // 3, 2 * height // 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()

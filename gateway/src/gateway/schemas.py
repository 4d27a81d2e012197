"""What the HTTP API answers, as the OpenAPI schema says it: the JSON envelope around every
answer, one model per `data` shape, the Server-Sent Events of a turn, and the one table of
error responses every route picks its codes from.

The models forbid undeclared fields: a route that starts answering a field the schema does not
name fails its response validation (and the schema tests) instead of drifting silently. Field
names are the wire names, including the double spellings older clients read (`userId`,
`taskId`, `downloadUrl`).
"""

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import FastAPI
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from tftkit import text

_COMPONENTS = "#/components/schemas/"

# Inputs, checked here so that a malformed one is a 422 and never a failed lookup downstream.
# Text a person wrote follows tftkit.text's rule (no control characters but tab, newline and CR;
# no lone surrogates; NFC; lengths counted after normalising), the same rule every service
# applies again at its own edge. The schema states the rule as a pattern (so clients and
# schemathesis know it); the validators below enforce it with a message that says what is wrong,
# where a pattern mismatch would only quote the regex. Ids have the services' shapes
# (chat-service's numeric room ids, the catalog's numeric product ids, upload ids from
# `secrets.token_urlsafe`).
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
ROOM_ID_PATTERN = r"^[0-9]{1,18}$"
PRODUCT_ID_PATTERN = r"^[0-9]{1,20}$"
# The same, or empty where the id is optional (a new room; a garment slot left out).
ROOM_ID_OR_EMPTY_PATTERN = r"^([0-9]{1,18})?$"
PRODUCT_ID_OR_EMPTY_PATTERN = r"^([0-9]{1,20})?$"
UPLOAD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def text_schema(max_chars: int, *, refused: bool = True) -> dict[str, Any]:
    """What the schema says of a text field: its length, and the characters the rule refuses
    (not for cleaned fields, which take them and drop them)."""
    return {"maxLength": max_chars, **({"pattern": TEXT_PATTERN} if refused else {})}


def _rule(apply: Callable[[str], str]) -> BeforeValidator:
    def validate(value: object) -> object:
        # Before pydantic's own str check, which would refuse a lone surrogate without saying
        # why; anything not a string is left to that check.
        if not isinstance(value, str):
            return value
        try:
            return apply(value)
        except text.BadText as error:
            raise PydanticCustomError("text", error.problem) from None

    return BeforeValidator(validate)


def checked_text(max_chars: int) -> BeforeValidator:
    """Text refused when it breaks the rule (a chat message, a URL to store)."""
    return _rule(lambda value: text.checked(value, field="", max_chars=max_chars))


def cleaned_text(max_chars: int) -> BeforeValidator:
    """Text with what the rule refuses removed, still refused when too long (style-profile
    words, as expert-service stores them)."""
    return _rule(lambda value: text.cleaned(value, field="", max_chars=max_chars))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


DataT = TypeVar("DataT")


class Envelope(_Strict, Generic[DataT]):
    """A successful answer."""

    status: Literal["success"]
    message: str
    data: DataT


class EmptyEnvelope(Envelope[None]):
    """A successful answer without data."""


class ErrorEnvelope(_Strict):
    """Every failure: FastAPI's validation errors, our own refusals and mapped gRPC errors."""

    status: Literal["fail"]
    message: str
    data: None


# Auth


class MeData(_Strict):
    user_id: str
    userId: str
    nickname: str
    profile_image: str | None
    is_guest: bool


# A profile word or phrase: cleaned rather than refused, as expert-service does (a stray control
# character in "네이비" means nothing); expert-service holds the narrower limits (400).
ProfileText = Annotated[
    str, Field(json_schema_extra=text_schema(200, refused=False)), cleaned_text(200)
]


class StyleProfileData(_Strict):
    """What the stylist remembers about the person, across all their rooms. Ranges are
    expert-service's to check (400 with the field named); here only the shape."""

    gender: Literal["", "MEN", "WOMEN"] | None = ""
    height: int | None = Field(None, ge=0, le=1000, description="cm")
    body_type: ProfileText | None = ""
    skin_tone: ProfileText | None = ""
    likes: list[ProfileText] = Field(default_factory=list, max_length=100)
    dislikes: list[ProfileText] = Field(default_factory=list, max_length=100)
    budget: int | None = Field(None, ge=0, le=2**53, description="won for one whole look")


class RefreshData(_Strict):
    expires_in: int = Field(description="seconds the new access token lives")


# Chat


class ProductRef(_Strict):
    product_url: str
    product_id: str
    reason: str = Field("", description="one line on why the expert chose it")


def product_refs(products) -> list[dict[str, str]]:
    """The catalog products an answer cites, as every route and SSE event shows them."""
    return [
        {"product_url": p.product_url, "product_id": p.product_id, "reason": p.reason}
        for p in products
    ]


class RoomData(_Strict):
    id: int
    title: str
    created_at: str = Field(description="ISO 8601")


class RoomHistoryData(_Strict):
    all_rooms: list[RoomData]


class MessageData(_Strict):
    id: int
    content: str
    image_url: str | None
    message_type: str
    created_at: str = Field(description="ISO 8601")
    agent_type: str | None
    agent_name: str | None
    product_image_url: list[str]
    products: list[ProductRef]


class MessagePageData(_Strict):
    messages: list[MessageData]
    has_more: bool
    next_cursor: str | None = Field(description="`before` of the next (older) page")
    count: int


class SentData(_Strict):
    room_id: int
    message_id: int


class AnswerReady(_Strict):
    state: Literal["READY"]
    message: str
    order: int
    agent_id: str
    agent_name: str
    agent_role: str
    products: list[ProductRef]


class AnswersDone(_Strict):
    """Every answer of the room's latest turn was delivered (or it has none)."""

    state: Literal["DONE"]


class AnswerPending(_Strict):
    """The turn still runs."""

    state: Literal["PENDING"]


class ReceiveEnvelope(Envelope[Annotated[AnswerReady | AnswersDone, Field(discriminator="state")]]):
    """The room's next expert answer, or DONE."""


class PendingEnvelope(Envelope[AnswerPending]):
    """The turn still runs: poll again."""


class ProductData(_Strict):
    product_id: str
    product_name: str
    brand_name: str
    comprehensive_description: str
    style_tags: list[str]
    tpo_tags: list[str]
    image_url: str
    main_category: str = Field(description="TOP, BOTTOM, OUTER, DRESS, SHOES or ACCESSORY")
    sub_category: str
    color_name: str
    material: str
    fit: str
    seasons: list[str]
    gender: str
    original_price: int
    price: int


# The turn's Server-Sent Events: each `data:` line is a JSON envelope whose data names its kind.


class _TurnEvent(_Strict):
    timestamp: int = Field(description="milliseconds since the epoch")


class RoomEvent(_TurnEvent):
    type: Literal["room"]
    room_id: str


class ConnectEvent(_TurnEvent):
    type: Literal["connect"]
    message: str


class ContentEvent(_TurnEvent):
    type: Literal["content"]
    agent_id: str
    agent_name: str
    message: str


class CompleteEvent(_TurnEvent):
    type: Literal["complete"]
    agent_id: str
    agent_name: str
    agent_role: str
    message: str
    products: list[ProductRef]


class FinalCompleteEvent(_TurnEvent):
    type: Literal["final_complete"]
    message: str
    total_experts: int


class ErrorEvent(_TurnEvent):
    type: Literal["error"]
    # Absent when the stream itself broke rather than one expert.
    agent_id: str = ""
    message: str


TurnEventData = Annotated[
    RoomEvent | ConnectEvent | ContentEvent | CompleteEvent | FinalCompleteEvent | ErrorEvent,
    Field(discriminator="type"),
]


class TurnEventEnvelope(_Strict):
    """One SSE event's `data`: `fail` for `error` events, `success` for the others."""

    status: Literal["success", "fail"]
    message: str
    data: TurnEventData


TURN_EVENT_NAMES = ("room", "connect", "content", "complete", "final_complete", "error")


# Fitting


class TryOnData(_Strict):
    success: bool = Field(description="true once the picture is ready")
    message: str
    task_id: str
    taskId: str
    status: Literal["QUEUED", "PROCESSING", "COMPLETED", "FAILED"]
    progress: int = Field(ge=0, le=100)
    download_url: str | None
    downloadUrl: str | None
    error: str | None = Field(description="a message for the person when FAILED")


# Operations


class Health(_Strict):
    status: Literal["UP", "DOWN"]
    components: dict[str, Literal["UP", "DOWN"]]


# Models the schema references by hand (SSE contents, error responses): FastAPI registers only
# the models it sees as a route's response_model or a response's "model".
_REFERENCED_BY_HAND: tuple[type[BaseModel], ...] = (ErrorEnvelope, TurnEventEnvelope)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _COMPONENTS + model.__name__}


# The error responses: one description per status code, as the gateway's handlers, the
# same-origin middleware and the gRPC mapping in gateway.errors answer them.
_ERRORS: dict[int, str] = {
    400: "a malformed request: an unreadable body, or a value the service refuses",
    401: "no identity where one is needed, or an expired login: call POST /api/auth/refresh",
    403: "refused: a POST, PUT, PATCH or DELETE sent from another site's page (its Origin)",
    404: "not found, or not the caller's",
    409: "the resource is not in a state that allows this",
    413: "the upload, or the whole request body, is over its size limit",
    415: "the upload is not a picture we take (JPEG, PNG, WebP, HEIC; judged by decoding it)",
    422: "a parameter or body field is invalid",
    429: "too many requests: retry after `Retry-After` seconds when given",
    500: "an unexpected failure (the message carries no detail)",
    501: "a downstream service does not implement this yet (an older version is deployed)",
    502: "a downstream service failed",
    503: "a downstream service is unavailable",
    504: "a downstream service did not answer in time",
}
# What a downstream gRPC call can fail with whatever it does: UNIMPLEMENTED (501), INTERNAL and
# UNKNOWN (502), UNAVAILABLE (503), DEADLINE_EXCEEDED (504).
DOWNSTREAM: tuple[int, ...] = (501, 502, 503, 504)
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait, when a rate limit says",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def error_responses(*codes: int, notes: Mapping[int, str] | None = None) -> dict[int | str, Any]:
    """The `responses=` entries of these error codes (and 500, which any route can answer),
    each an ErrorEnvelope; `notes` says what a code means on this route."""
    notes = notes or {}
    unknown = set(codes) - _ERRORS.keys()
    if unknown:
        raise ValueError(f"no error response for {sorted(unknown)}")
    answers: dict[int | str, Any] = {}
    for code in sorted({*codes, 500}):
        answer: dict[str, Any] = {
            "description": notes.get(code, _ERRORS[code]),
            "content": {"application/json": {"schema": _ref(ErrorEnvelope)}},
        }
        if code == 429:
            answer["headers"] = _RETRY_AFTER
        answers[code] = answer
    return answers


def sse_response(description: str) -> dict[int | str, Any]:
    """A 200 streaming the turn's events; each event is described as FastAPI describes its own
    SSE routes (OpenAPI 3.2's `itemSchema`, which schemathesis validates event by event)."""
    event = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": list(TURN_EVENT_NAMES)},
            "id": {"type": "string", "description": "resume with it as Last-Event-ID"},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": _ref(TurnEventEnvelope),
            },
        },
    }
    return {
        200: {"description": description, "content": {"text/event-stream": {"itemSchema": event}}}
    }


def image_response(description: str, *media_types: str) -> dict[int | str, Any]:
    """A 200 answering a picture of one of these media types (bytes: no JSON schema)."""
    return {
        200: {"description": description, "content": {media_type: {} for media_type in media_types}}
    }


def link(method: str, path: str, parameters: Mapping[str, str]) -> dict[str, Any]:
    """An OpenAPI link to the operation at `method path`, filling its parameters (named
    `path.x`, `query.x`) from this exchange with runtime expressions such as
    `$response.body#/data/id`: clients, and schemathesis' stateful phase, follow them."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method.lower()}", "parameters": dict(parameters)}


def install_openapi(app: FastAPI) -> None:
    """Adds the models the schema references by hand to the generated schema's components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        _, definitions = models_json_schema(
            [(model, "serialization") for model in _REFERENCED_BY_HAND],
            ref_template=_COMPONENTS + "{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in definitions.get("$defs", {}).items():
            components.setdefault(name, definition)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

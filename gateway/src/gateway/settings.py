"""gateway settings (env prefix GATEWAY_; downstream addresses without prefix)."""

from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    auth_service_addr: str = Field("127.0.0.1:50051", validation_alias="AUTH_SERVICE_ADDR")
    chat_service_addr: str = Field("127.0.0.1:50052", validation_alias="CHAT_SERVICE_ADDR")
    expert_service_addr: str = Field("127.0.0.1:50053", validation_alias="EXPERT_SERVICE_ADDR")
    product_service_addr: str = Field("127.0.0.1:50054", validation_alias="PRODUCT_SERVICE_ADDR")
    fitting_service_addr: str = Field("127.0.0.1:50055", validation_alias="FITTING_SERVICE_ADDR")
    # Cookies get the Secure flag; turn on wherever the site is served over HTTPS.
    cookie_secure: bool = False
    guest_cookie_max_age_seconds: int = 365 * 24 * 3600
    # Where a finished (or refused) Kakao login sends the browser.
    app_path: str = "/"
    # Origins (scheme://host[:port]) besides the gateway's own that may send POST/PUT/DELETE
    # with the cookies, comma-separated; any other Origin is refused (403).
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Deadlines of downstream calls.
    rpc_timeout_seconds: float = 5.0
    stream_timeout_seconds: float = 240.0
    # SSE streams one process holds open; a new one past it is refused (503, Retry-After)
    # before chat-service is asked. Sized for 10,000 streams a process with some headroom.
    max_open_streams: int = Field(12_000, ge=1)
    # New streams are refused (503) while resident memory is above this share of the limit.
    max_memory_share: float = Field(0.9, gt=0, le=1)
    # Separate HTTP/2 connections to chat-service the streams are spread over: one connection
    # stops taking streams past its peer's concurrent-stream limit.
    chat_channels: int = Field(4, ge=1)
    # Connections the kernel queues before uvicorn accepts them (bursts of new streams);
    # capped by net.core.somaxconn.
    backlog: int = Field(4096, ge=1)
    # A browser connection whose peer acknowledges nothing (sent bytes, keepalive probes) for
    # this long is dropped, so a vanished peer's stream ends within a heartbeat after it.
    dead_peer_seconds: float = Field(10.0, gt=0)
    # One uploaded picture (chat upload, try-on photo); a bigger file part is refused (413) as it
    # streams in.
    max_upload_bytes: int = 10 * 1024 * 1024
    # Any request body; bigger ones are refused (413) before they are read. Leaves room for an
    # upload's multipart framing and form fields.
    max_request_bytes: int = 11 * 1024 * 1024
    # How long a try-on without async=true waits for its picture before answering 202.
    tryon_wait_seconds: float = 90.0
    # Deadline of one image-proxy fetch (fitting-service's own fetch deadline is shorter).
    proxy_timeout_seconds: float = 15.0
    # Serves OBJECT_STORE_DIR at /media when objects live in the local folder.
    serve_local_media: bool = True

    @model_validator(mode="after")
    def _an_upload_fits_in_a_request(self) -> "GatewaySettings":
        if self.max_request_bytes <= self.max_upload_bytes:
            raise ValueError(
                "GATEWAY_MAX_REQUEST_BYTES must be larger than GATEWAY_MAX_UPLOAD_BYTES"
            )
        return self

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

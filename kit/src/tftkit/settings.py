"""Base settings shared by every service; each service subclasses with its own env prefix."""

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from examples; a secret equal to one of these is refused at start.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "your-secret", "test"}


class ServiceSettings(BaseSettings):
    """Listen address, metrics port and log level of one gRPC service."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    host: str = "127.0.0.1"
    port: int
    metrics_port: int = 0
    log_level: str = "INFO"
    # Seconds a stopping server waits for in-flight calls.
    shutdown_grace_seconds: float = 5.0
    # Where auth-service is: callers' tokens are verified with the public keys it publishes.
    auth_service_addr: str = Field("127.0.0.1:50051", validation_alias="AUTH_SERVICE_ADDR")

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


def check_secret(value: str, *, name: str, min_length: int = 32) -> str:
    """Refuses empty, short or placeholder secrets with a message naming the setting."""
    if value.strip().lower() in _PLACEHOLDER_SECRETS or len(value) < min_length:
        raise ValueError(f"{name} must be a random secret of at least {min_length} characters")
    return value

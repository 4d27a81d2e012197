"""auth-service settings (env prefix AUTH_)."""

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from tftkit.settings import ServiceSettings, check_secret


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    port: int = 50051
    metrics_port: int = 9101
    postgres_dsn: str
    # Signs guest identities and access tokens (HS256); required, never defaulted.
    jwt_secret: str
    guest_token_ttl_days: int = 365
    access_token_ttl_seconds: int = 7 * 24 * 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    @field_validator("jwt_secret")
    @classmethod
    def _strong(cls, value: str) -> str:
        return check_secret(value, name="AUTH_JWT_SECRET")

"""auth-service settings (env prefix AUTH_; Kakao's without prefix)."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from tftkit.identity import load_public_key, load_signing_key
from tftkit.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    port: int = 50051
    metrics_port: int = 9101
    postgres_dsn: str
    # Ed25519 key that signs every token (32-byte seed, URL-safe base64); required, never
    # defaulted. `make run` generates one into var/secrets.env on its first start.
    signing_key: str
    # Public keys of retired signing keys (comma-separated, URL-safe base64), still accepted
    # until the tokens they signed expire: how a key is rotated without logging anyone out.
    retired_public_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    guest_token_ttl_days: int = 365
    # Access tokens are short (a stolen one is useful briefly, and logout takes effect soon);
    # refresh tokens are long, rotated on every use and revocable.
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    login_state_ttl_seconds: int = 600
    # Internal clients that may act for a user: `name:sha256-hex-of-secret`, comma-separated.
    service_clients: Annotated[list[str], NoDecode] = Field(default_factory=list)
    service_token_ttl_seconds: int = 300

    kakao_client_id: str = Field("", validation_alias="KAKAO_CLIENT_ID")
    kakao_client_secret: str = Field("", validation_alias="KAKAO_CLIENT_SECRET")
    kakao_redirect_uri: str = Field("", validation_alias="KAKAO_REDIRECT_URI")
    kakao_auth_base_url: str = Field(
        "https://kauth.kakao.com", validation_alias="KAKAO_AUTH_BASE_URL"
    )
    kakao_api_base_url: str = Field("https://kapi.kakao.com", validation_alias="KAKAO_API_BASE_URL")
    kakao_timeout_seconds: float = Field(5.0, validation_alias="KAKAO_TIMEOUT_SECONDS")
    kakao_use_pkce: bool = Field(False, validation_alias="KAKAO_USE_PKCE")

    @field_validator("signing_key")
    @classmethod
    def _a_key(cls, value: str) -> str:
        load_signing_key(value)
        return value

    @field_validator("retired_public_keys", "service_clients", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("retired_public_keys")
    @classmethod
    def _public_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            load_public_key(key)
        return value

    @property
    def kakao_configured(self) -> bool:
        return bool(self.kakao_client_id and self.kakao_redirect_uri)

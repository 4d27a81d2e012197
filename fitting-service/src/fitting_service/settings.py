"""fitting-service settings (env prefix FITTING_)."""

from pydantic_settings import SettingsConfigDict

from tftkit.settings import ServiceSettings


class FittingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FITTING_", extra="ignore")

    port: int = 50055
    metrics_port: int = 9105

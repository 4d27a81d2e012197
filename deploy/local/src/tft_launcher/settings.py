"""The launcher's own settings (`TFT_*`), plus the two standard store URLs.

`POSTGRES_DSN` and `REDIS_URL` carry no prefix: they are the same variables an operator sets
for docker compose or Kubernetes. When they are absent the launcher starts embedded servers.
"""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def repo_root() -> Path:
    """The workspace root when running from the source tree, else the current folder."""
    here = Path(__file__).resolve()
    # deploy/local/src/tft_launcher/settings.py -> the repository is four levels up.
    candidate = here.parents[4] if len(here.parents) > 4 else Path.cwd()
    if (candidate / "deploy" / "local" / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


class LauncherSettings(BaseSettings):
    """Where state lives, which stores to use, and the launcher's timeouts."""

    model_config = SettingsConfigDict(env_prefix="TFT_", extra="ignore", case_sensitive=False)

    # Server-level DSN (any database; the launcher creates auth/chat/product beside it).
    postgres_dsn: str = Field("", validation_alias=AliasChoices("POSTGRES_DSN"))
    redis_url: str = Field("", validation_alias=AliasChoices("REDIS_URL"))

    # Embedded stores' data, logs, objects and generated secrets (git-ignored).
    state_dir: Path = Field(default_factory=lambda: repo_root() / "var")
    embedded_postgres_port: int = 55432
    embedded_redis_port: int = 56379
    # PostgreSQL refuses to run as root: when the launcher is root it runs the server as this user.
    postgres_os_user: str = "nobody"

    # Comma-separated subset of services to start (default: all six).
    services: str = ""
    # Echo children's output on the console (always written to <state_dir>/logs/<name>.log).
    log_to_console: bool = True

    store_start_timeout_seconds: float = 60.0
    seed_timeout_seconds: float = 900.0
    startup_timeout_seconds: float = 180.0
    stop_grace_seconds: float = 10.0

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.env"

    def selected(self) -> list[str]:
        return [name.strip() for name in self.services.split(",") if name.strip()]

"""`python -m auth_service` serves the AuthService."""

from auth_service.server import serve
from auth_service.settings import AuthSettings
from tftkit.service import run_service


def main() -> None:
    run_service("auth-service", AuthSettings, serve)


if __name__ == "__main__":
    main()

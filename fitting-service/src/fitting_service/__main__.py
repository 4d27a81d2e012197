"""`python -m fitting_service` serves the FittingService."""

from fitting_service.server import serve
from fitting_service.settings import FittingSettings
from tftkit.service import run_service


def main() -> None:
    run_service("fitting-service", FittingSettings, serve)


if __name__ == "__main__":
    main()

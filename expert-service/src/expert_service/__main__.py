"""`python -m expert_service` serves ExpertService."""

from expert_service.server import serve
from expert_service.settings import ExpertSettings
from tftkit.service import run_service


def main() -> None:
    """Reads the settings (exiting with a clear message when one is missing) and serves."""
    run_service("expert-service", ExpertSettings, serve)


if __name__ == "__main__":
    main()

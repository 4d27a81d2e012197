"""`python -m chat_service` serves the ChatService."""

from chat_service.server import serve
from chat_service.settings import ChatSettings
from tftkit.service import run_service


def main() -> None:
    run_service("chat-service", ChatSettings, serve)


if __name__ == "__main__":
    main()

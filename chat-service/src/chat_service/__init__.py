"""chat-service."""

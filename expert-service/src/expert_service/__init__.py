"""expert-service."""

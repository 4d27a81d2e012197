"""fitting-service."""

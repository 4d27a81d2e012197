"""auth-service."""

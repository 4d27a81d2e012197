"""product-service."""

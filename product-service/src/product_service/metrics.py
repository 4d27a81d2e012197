"""product-service metrics (the seed's `product_search_api_*` family, plus the cache)."""

from prometheus_client import Counter, Histogram

SEARCH_CALLS = Counter(
    "product_search_api_calls_total", "Product searches, by outcome", ["outcome"]
)
SEARCH_DURATION = Histogram(
    "product_search_api_duration_seconds",
    "Time to answer one product search, by ranking mode",
    ["mode"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)
SEARCH_RESULTS = Histogram(
    "product_search_api_results",
    "Products returned by one search",
    buckets=(0, 1, 5, 10, 20, 50, 100),
)
CACHE_LOOKUPS = Counter(
    "product_cache_lookups_total", "Product ids looked up through the cache", ["result"]
)

"""product-service metrics: the seed's `product_search_api_*` family, plus the cache.

The search family is recorded once per SearchProducts call, where the RPC is served
(`SearchCall` in the servicer), so a refused call counts as much as an answered one.
"""

import asyncio
import time
from types import TracebackType

from prometheus_client import Counter, Histogram

SEARCH_CALLS = Counter(
    "product_search_api_calls_total",
    "SearchProducts calls, by outcome (found, empty, invalid, error)",
    ["outcome"],
)
SEARCH_SUCCESS = Counter("product_search_api_success_total", "SearchProducts calls answered")
SEARCH_FAILURE = Counter(
    "product_search_api_failure_total",
    "SearchProducts calls not answered, by reason (invalid_argument, internal, cancelled)",
    ["reason"],
)
SEARCH_DURATION = Histogram(
    "product_search_api_response_duration",
    "Seconds to answer one SearchProducts call, by how (lexical, semantic, cached; failed)",
    ["mode"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
SEARCH_RESULTS = Histogram(
    "product_search_api_results",
    "Products returned by one answered search",
    buckets=(0, 1, 5, 10, 20, 50, 100),
)
CACHE_LOOKUPS = Counter(
    "product_cache_lookups_total", "Product ids looked up through the cache", ["result"]
)
# Every outcome's series exists from the start, at zero (rates and alerts need them).
for _outcome in ("found", "empty", "invalid", "error"):
    SEARCH_CALLS.labels(_outcome)
for _reason in ("invalid_argument", "internal", "cancelled"):
    SEARCH_FAILURE.labels(_reason)


class SearchCall:
    """One SearchProducts call, counted and timed once whichever way it leaves.

    The servicer marks it `answered(...)` or `refused()`; leaving otherwise (an exception
    other than a refusal's abort) is an internal failure, or a cancellation by the caller.
    """

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._answer: tuple[int, str] | None = None
        self._refused = False

    def answered(self, results: int, mode: str) -> None:
        self._answer = (results, mode)

    def refused(self) -> None:
        self._refused = True

    def __enter__(self) -> "SearchCall":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed = time.perf_counter() - self._started
        if self._answer is not None and exc_type is None:
            results, mode = self._answer
            SEARCH_CALLS.labels("found" if results else "empty").inc()
            SEARCH_SUCCESS.inc()
            SEARCH_RESULTS.observe(results)
            SEARCH_DURATION.labels(mode).observe(elapsed)
            return
        if self._refused:
            outcome, reason = "invalid", "invalid_argument"
        elif exc_type is not None and issubclass(exc_type, asyncio.CancelledError):
            # The caller hung up or its deadline passed: not our error, still not an answer.
            outcome, reason = "error", "cancelled"
        else:
            outcome, reason = "error", "internal"
        SEARCH_CALLS.labels(outcome).inc()
        SEARCH_FAILURE.labels(reason).inc()
        SEARCH_DURATION.labels("failed").observe(elapsed)

"""Prometheus metrics of the LLM calls, per provider and expert (one registry per process)."""

from prometheus_client import Counter, Histogram

LLM_CALLS = Counter("llm_api_calls_total", "Expert answers started", ["provider", "expert"])
LLM_SUCCESS = Counter("llm_api_success_total", "Expert answers completed", ["provider", "expert"])
LLM_FAILURE = Counter("llm_api_failure_total", "Expert answers failed", ["provider", "expert"])
LLM_DURATION = Histogram(
    "llm_api_response_duration",
    "Seconds from the start of an expert answer to its end",
    ["provider", "expert"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)

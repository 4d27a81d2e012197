"""Prometheus metrics of try-on tasks and the image proxy (one registry per process)."""

from prometheus_client import Counter, Gauge, Histogram

TASKS = Counter(
    "fitting_tasks_total",
    "Try-on tasks ended, by engine and outcome (completed, photo_rejected, failed, timed_out, "
    "interrupted)",
    ["engine", "outcome"],
)
TASK_DURATION = Histogram(
    "fitting_task_duration_seconds",
    "Seconds from a worker taking a task to its end",
    ["engine"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300),
)
QUEUE_DEPTH = Gauge("fitting_queue_depth", "Tasks queued and not yet taken by any worker")
TASKS_RUNNING = Gauge("fitting_tasks_running", "Tasks this process is running now")
PROXY_REQUESTS = Counter(
    "fitting_proxy_requests_total",
    "Image proxy fetches, by outcome (ok or a refusal reason)",
    ["outcome"],
)

"""Summarises a `py-spy record --gil --format raw` profile: where a service spends its CPU.

    py-spy record --pid PID --gil --duration 30 --format raw --output chat.txt
    uv run python bench/profile_summary.py chat.txt

Prints the share of samples by library (a sample counts for every library on its stack), the
functions that hold the CPU themselves, and the service's own functions by inclusive share.
"""

import argparse
import collections
from pathlib import Path

LIBRARIES = {
    "grpc": ("(grpc/",),
    "redis": ("(redis/",),
    "opentelemetry": ("(opentelemetry/",),
    "openai": ("(openai/",),
    "httpx/httpcore": ("(httpx", "(httpcore"),
    "pydantic": ("(pydantic",),
    "protobuf": ("(google/protobuf/",),
    "asyncpg": ("(asyncpg/",),
    "uvicorn": ("(uvicorn/",),
    "starlette/fastapi": ("(starlette/", "(fastapi/"),
    "json": ("(json/",),
    "prometheus": ("(prometheus_client/",),
}
OWN = ("chat_service", "gateway/", "expert_service", "product_service", "tftkit")
# The process's entry, on every stack.
ENTRY = ("__main__.py", "run_service")


def _name(frame: str) -> str:
    function, _, where = frame.partition(" (")
    return f"{function} ({where.rsplit('/', 1)[-1]}" if where else function


def summarise(path: Path, top: int) -> list[str]:
    own_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    libraries: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples, frames = int(count), stack.split(";")
        total += samples
        own_time[_name(frames[-1])] += samples
        for name in {
            _name(f) for f in frames if any(o in f for o in OWN) and not any(e in f for e in ENTRY)
        }:
            inclusive[name] += samples
        for library, markers in LIBRARIES.items():
            if any(marker in f for f in frames for marker in markers):
                libraries[library] += samples
    share = lambda n: f"{100 * n / max(total, 1):.1f} %"  # noqa: E731
    lines = [f"{total} samples holding the GIL", "", "| library | share |", "|---|---|"]
    lines += [f"| {name} | {share(n)} |" for name, n in libraries.most_common()]
    lines += ["", "| on the CPU itself | share |", "|---|---|"]
    lines += [f"| `{name}` | {share(n)} |" for name, n in own_time.most_common(top)]
    lines += ["", "| own function, inclusive | share |", "|---|---|"]
    lines += [f"| `{name}` | {share(n)} |" for name, n in inclusive.most_common(top)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    print("\n".join(summarise(args.profile, args.top)))


if __name__ == "__main__":
    main()

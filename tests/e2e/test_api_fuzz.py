"""Schemathesis fuzzes every HTTP operation of the running gateway from its OpenAPI schema, and
the schema is held to be the truth: whatever the input, the answer is never a server error, and
its status code, content type and body (every SSE event's too) are ones the schema declares.

Phases: examples, coverage (boundary and invalid values of every parameter), fuzzing, and the
stateful phase, which follows the schema's links (a created room to its messages, stream, send
and receive; a try-on to its status and result) and the links schemathesis infers itself."""

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Cases per operation in the fuzzing phase (and scenarios in the stateful one): schemathesis's
# own default. On two cores the run takes about 50 s at 100 against 25 s at 40, so CI runs the
# default (FUZZ_MAX_EXAMPLES changes it).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100"))
# A fixed seed keeps CI's run the same each time; FUZZ_SEED=random (`make fuzz`) explores, and
# the report prints the seed it drew, to replay a failure with FUZZ_SEED=<that seed>.
SEED = os.environ.get("FUZZ_SEED", "20261125")
# The run's deadline, growing with the examples (the suite's per-test default is 300 s).
RUN_SECONDS = max(600, 6 * MAX_EXAMPLES)


async def _guest_cookie(base_url: str) -> str:
    """A guest identity for the whole run: schemathesis keeps no cookies between requests, so
    without one every request would be a new guest and a linked room never the caller's."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        answer = await client.post("/api/chat/rooms")
        assert answer.status_code == 201, answer.text
        return client.cookies["tft_guest"]


@pytest.mark.timeout(RUN_SECONDS + 120)
async def test_every_answer_is_one_the_schema_declares(system, tmp_path):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    guest = await _guest_cookie(system.base_url)
    process = await asyncio.create_subprocess_exec(
        str(schemathesis),
        "run",
        f"{system.base_url}/v3/api-docs",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--header",
        f"Cookie: tft_guest={guest}",
        "--request-timeout",
        "60",
        *(() if SEED == "random" else ("--seed", SEED)),
        "--no-color",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=RUN_SECONDS)
    report = output.decode("utf-8", "replace")
    # The whole report (every failure with its curl reproduction) outlives the assertion's tail.
    (tmp_path / "schemathesis.txt").write_text(report)
    # The summary (phases, cases, warnings, seconds): shown with `pytest -rP`.
    print(report[report.find("SUMMARY") :] if "SUMMARY" in report else report[-3000:])
    assert process.returncode == 0, report[-6000:]
    assert " passed" in report
    # Every operation was fuzzed (nothing excluded) and the stateful phase ran.
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected and selected[1] == selected[2], report[-3000:]
    assert "Stateful" in report and "Scenarios:" in report, report[-3000:]

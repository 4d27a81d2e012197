"""Schemathesis fuzzes every HTTP operation of the running gateway from its OpenAPI schema:
whatever the input, the answer is never a server error."""

import asyncio
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_no_input_makes_the_gateway_fail_with_a_server_error(system):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    process = await asyncio.create_subprocess_exec(
        str(schemathesis),
        "run",
        f"{system.base_url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "8",
        "--request-timeout",
        "60",
        "--seed",
        "20261125",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    report = output.decode("utf-8", "replace")
    assert process.returncode == 0, report[-4000:]
    assert " passed" in report

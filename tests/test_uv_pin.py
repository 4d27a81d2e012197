"""One uv pin for a fresh machine: the Makefile's UV_VERSION, which `make uv` installs when no uv
is on PATH (every target that needs the venv goes through it) and which .ci/run uses via make."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()
CI = (ROOT / ".ci" / "run").read_text()


def _pin() -> str:
    match = re.search(r"^UV_VERSION := (\d+)\.(\d+)\.(\d+)$", MAKEFILE, re.M)
    assert match, "the Makefile pins one exact uv version"
    return match.group(0).split(" := ")[1]


def test_the_pin_is_exact_and_in_the_supported_range():
    major, minor, _ = (int(part) for part in _pin().split("."))
    assert (major, minor) == (0, 13)


def test_make_prints_the_pin():
    out = subprocess.run(
        ["make", "-s", "print-uv-version"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == _pin()


def test_install_run_and_test_bootstrap_the_pinned_uv():
    recipe = re.search(r"^uv:.*\n((?:\t.*\n)+)", MAKEFILE, re.M).group(1)
    assert 'pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"' in recipe
    assert re.search(r"^install: uv\b", MAKEFILE, re.M)
    for target in ("run", "test"):
        assert re.search(rf"^{target}: install\b", MAKEFILE, re.M)
    # Without uv on PATH, make runs the one pip installed: `python3 -m uv`.
    assert "UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)" in MAKEFILE


def test_ci_uses_the_makefile_pin_and_no_other():
    assert re.search(r"^make -s uv$", CI, re.M)
    assert not re.search(r"uv\s*[=<>~]=?\s*\d", CI), "a second uv pin in .ci/run"
    lines = CI.splitlines()
    assert lines.index("make -s uv") < lines.index("make test")

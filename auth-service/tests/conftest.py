"""Shared test setup: this folder's helper modules (e.g. kakao_server) are importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
